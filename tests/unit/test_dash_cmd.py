"""`husky dash`: the dashboard address and which browsers it may open (husky/cli/dash_cmd.py)."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest

from husky.cli.context import Settings
from husky.cli.dash_cmd import background_browser, dashboard_url


@pytest.mark.parametrize(
    ("controller", "expected"),
    [
        (webbrowser.BackgroundBrowser("xdg-open"), True),
        (webbrowser.Mozilla("firefox"), True),
        (webbrowser.Chrome("chromium"), True),
        (webbrowser.Elinks("elinks"), False),
        (webbrowser.GenericBrowser("lynx"), False),
    ],
)
def test_only_browsers_that_return_at_once_are_used(
    controller: webbrowser.BaseBrowser, expected: bool
) -> None:
    assert background_browser(controller) is expected


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        config=str(tmp_path / "husky.yaml"), data=str(tmp_path / ".husky"), daemon_config=None
    )


def test_plain_http_without_huskyd_yaml(tmp_path: Path) -> None:
    assert dashboard_url("127.0.0.1:8420", _settings(tmp_path)) == "http://127.0.0.1:8420/"


def test_tls_and_base_path_come_from_huskyd_yaml(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("")
    (tmp_path / "key.pem").write_text("")
    (tmp_path / "huskyd.yaml").write_text(
        "api:\n  base_path: /husky\n  tls:\n    enabled: true\n    cert: cert.pem\n    key: key.pem\n"
    )
    assert dashboard_url("[::1]:9000", _settings(tmp_path)) == "https://[::1]:9000/husky/"
