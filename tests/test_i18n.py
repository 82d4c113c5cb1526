"""Russian is a first-class admin language: the managers' pages and messages, and the catalogue itself."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from orders.models import StatusMapping
from tests.conftest import change_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian")]

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
LOCALE = Path(django_settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def test_admin_index_dashboard_is_in_russian(admin_client, default_mappings):
    # when
    response = admin_client.get(reverse("admin:index"), **RU)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Сводка за сегодня", "Заказов сегодня", "Требует внимания", "Сейчас ничего не требует вашего участия.",
                 "Последний успешный опрос магазина", "Магазин (Horoshop)",
                 "Ожидают", "Соответствия статусов", "Партнёры"):
        assert text in page
    assert "Today at a glance" not in page


def test_order_list_column_titles_are_in_russian(admin_client, make_order):
    # given
    make_order(order_id=115)
    # when
    response = admin_client.get(reverse("admin:orders_order_changelist"), **RU)
    # then
    page = response.content.decode()
    table = page.index('id="result_list"')
    head = page[table:page.index("</thead>", table)]
    for title in ("Номер заказа", "Покупатель", "Телефон", "Сумма", "Статус", "Оформлен", "Получено"):
        assert title in head
    for english in ("Order number", "Customer", "Phone", "Placed at"):
        assert english not in head
    assert "расходится с магазином" in page  # the list filter


def test_status_mapping_form_labels_are_in_russian(admin_client, mapping):
    # when
    response = admin_client.get(reverse("admin:orders_statusmapping_change", args=[mapping("new").pk]), **RU)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    for label in ("ID статуса в магазине", "Внутренний код", "Отправлять в Choco", "Заголовок карточки Choco",
                  "Текст кнопки Choco", "Диплинк карточки Choco", "Отправлять в Imshop", "Передавать в магазин",
                  "Можно использовать {order_id}.", "Что видит покупатель"):
        assert label in page
    assert "Choco card title" not in page


def test_too_long_choco_title_is_refused_in_russian(admin_client, mapping):
    # given
    row = mapping("new")
    url = reverse("admin:orders_statusmapping_change", args=[row.pk])
    form = change_form_data(admin_client.get(url, **RU))
    form["choco_title_active_order_card"] = "Очень длинный заголовок карточки!"
    # when
    response = admin_client.post(url, form, **RU)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Убедитесь, что это значение содержит не более 30" in page
    assert "Ensure this value" not in page
    assert StatusMapping.objects.get(pk=row.pk).choco_title_active_order_card == "Заказ принят"


def test_status_mapping_clean_speaks_russian(admin_client, mapping):
    # given
    row = mapping("new")
    url = reverse("admin:orders_statusmapping_change", args=[row.pk])
    form = change_form_data(admin_client.get(url, **RU))
    form.update(choco_enabled="on", choco_external_status="", choco_deeplink_card="ftp://x/{order}")
    # when
    response = admin_client.post(url, form, **RU)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Обязательно, пока включена отправка в Choco." in page
    assert "Неизвестная подстановка {order}: допускается только {order_id}." in page


def test_final_status_refusal_is_in_russian(admin_client, make_order, mapping):
    # given
    order = make_order(order_id=115, stat_status=3)
    inlines = {f"{prefix}-{name}": "0" for prefix in ("items", "status_changes", "deliveries")
               for name in ("TOTAL_FORMS", "INITIAL_FORMS")}
    # when
    response = admin_client.post(reverse("admin:orders_order_change", args=[order.pk]), {
        "new_status": mapping("processing").pk, "status_reason": "", "choco_user_id": "", "imshop_uuid": "",
        **inlines,
    }, **RU)
    # then
    assert response.status_code == 200
    assert "Заказ в финальном статусе «Доставлен»" in response.content.decode()


def test_admin_login_lockout_is_in_russian(client, settings, django_user_model):
    # given
    settings.ADMIN_LOGIN_MAX_FAILURES = 1
    django_user_model.objects.create_superuser("boss", "boss@example.com", "right-password")
    url = reverse("admin:login")
    client.post(url, {"username": "boss", "password": "wrong"}, **RU)
    # when
    response = client.post(url, {"username": "boss", "password": "right-password"}, **RU)
    # then
    page = response.content.decode()
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа." in page


def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: msgid, msgstr, plural forms (msgid_plural, msgstr[n]) and flags."""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    field: str | int | None = None  # what a continued string adds to: a key, or a plural's index
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current is not None:
                entries.append(current)
            current, field = None, None
            continue
        current = current or {"msgid": "", "msgstr": "", "msgid_plural": "", "plural": {}, "flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ", "msgid_plural ")):
            field, literal = line.split(" ", 1)
            current[field] += ast.literal_eval(literal)
        elif line.startswith("msgstr["):
            head, literal = line.split(" ", 1)
            field = int(head[len("msgstr["):-1])
            current["plural"][field] = ast.literal_eval(literal)
        elif line.startswith('"') and isinstance(field, int):
            current["plural"][field] += ast.literal_eval(line)
        elif line.startswith('"') and isinstance(field, str):
            current[field] += ast.literal_eval(line)
        else:
            raise AssertionError(f"Unexpected line in {path.name}: {line!r}")
    return entries


def test_russian_catalogue_is_complete_and_compiled():
    # given
    entries = read_po(LOCALE / "django.po")
    header, messages = entries[0], entries[1:]
    # when
    with (LOCALE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    # then
    assert header["msgid"] == ""
    assert "Language: ru" in header["msgstr"]
    assert "fuzzy" not in header["flags"]
    assert len(messages) > 150
    for entry in messages:
        assert "fuzzy" not in entry["flags"], f"fuzzy: {entry['msgid']!r}"
        if entry["plural"]:
            # Russian has four forms; each names the same values as the English plural.
            assert len(entry["plural"]) == 4, f"plural forms: {entry['msgid']!r}"
            for n, form in sorted(entry["plural"].items()):
                assert form, f"untranslated form {n}: {entry['msgid']!r}"
                assert sorted(set(PLACEHOLDER.findall(form))) == sorted(set(PLACEHOLDER.findall(entry["msgid_plural"])))
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 5) == entry["plural"][2]
            continue
        assert entry["msgstr"], f"untranslated: {entry['msgid']!r}"
        assert sorted(PLACEHOLDER.findall(entry["msgstr"])) == sorted(PLACEHOLDER.findall(entry["msgid"]))
        assert compiled.gettext(entry["msgid"]) == entry["msgstr"], f"not compiled: {entry['msgid']!r}"
