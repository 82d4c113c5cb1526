"""hub/settings.py and the modules it imports its settings from (hub/settings_*.py)."""

import pytest

import hub.settings
from hub import settings_celery, settings_env, settings_partners


@pytest.mark.parametrize("part", [settings_env, settings_partners, settings_celery], ids=lambda part: part.__name__)
def test_every_setting_of_a_settings_module_is_a_setting_of_the_hub(part):
    # given: the settings the module sets under this run's environment
    names = [name for name in vars(part) if name.isupper()]
    # when
    missing = [name for name in names if getattr(hub.settings, name, None) is not getattr(part, name)]
    # then: hub/settings.py imports every one of them
    assert names
    assert missing == []
