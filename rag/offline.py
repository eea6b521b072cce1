"""Offline mode: environment set at start-up so no library tries to reach a model hub or telemetry."""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline_env() -> None:
    """Set the offline variables unless the environment already chose a value."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
