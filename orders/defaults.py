"""The status mappings the hub ships with: Horoshop's five statuses, in Russian.

Managers edit them in the admin; `mappings_ensure_defaults` only creates the missing ones.
"""

from __future__ import annotations

from typing import Any

CHOCO_CARD_LINK = "https://rahmetapp.kz/webapp/orders?order_id={order_id}"
CHOCO_BUTTON_LINK = "https://rahmetapp.kz/webapp/orders?order_id={order_id}&tab=details"


def _mapping(shop_status_id: int, code: str, name: str, card: str, button: str, message: str,
             **extra: Any) -> dict[str, Any]:
    return {
        "shop_status_id": shop_status_id, "code": code, "name": name,
        "choco_enabled": True, "choco_external_status": code,
        "choco_title_active_order_card": card, "choco_title_call_to_action": button,
        "choco_deeplink_card": CHOCO_CARD_LINK, "choco_deeplink_call_to_action": CHOCO_BUTTON_LINK,
        "imshop_enabled": True, "imshop_code": code, "imshop_message": message,
        "shop_enabled": True, **extra,
    }


DEFAULT_MAPPINGS: list[dict[str, Any]] = [
    _mapping(1, "new", "Новый", "Заказ принят", "Открыть заказ", "Заказ принят"),
    _mapping(2, "processing", "В обработке", "Заказ собирается", "Открыть заказ", "Заказ в обработке"),
    _mapping(3, "delivered", "Доставлен", "Заказ доставлен", "Открыть заказ", "Заказ доставлен",
             is_final=True, choco_expires_in_minutes=60),
    _mapping(4, "cancelled", "Не доставлен / Отменен", "Заказ отменен", "Открыть заказ", "Отменен",
             is_final=True, is_cancellation_target=True, choco_expires_in_minutes=60),
    _mapping(6, "shipping", "Доставляется", "Заказ в пути", "Отследить заказ", "Заказ в пути",
             choco_need_timer=True, choco_expires_in_minutes=72 * 60),
]
