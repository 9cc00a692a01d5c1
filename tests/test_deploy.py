"""`hiroba deploy`: the files it prints for an instance, checked by the real tools
(systemd-analyze, logrotate, bash), the deploy/ folder equal to the rendered example, and
bad values refused with one sentence before they reach a file. nginx itself runs the site
file in tests/test_nginx.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from intake.cli import main
from intake.config import REPO_ROOT, SETTINGS, Settings

HIROBA = str(Path(sys.executable).parent / "hiroba")


def _hiroba(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    env["HIROBA_HOME"] = str(home)
    return subprocess.run([HIROBA, *argv], env=env, capture_output=True, text=True, check=False)


def test_the_deploy_folder_is_the_rendered_example(tmp_path: Path) -> None:
    assert main(["deploy", "all", "--example", "--output", str(tmp_path)]) == 0
    made = {str(p.relative_to(tmp_path)): p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    folder = REPO_ROOT / "deploy"
    kept = {
        str(p.relative_to(folder)): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert sorted(made) == sorted(kept), "run `make deploy-examples`"
    stale = [name for name in made if made[name] != kept[name]]
    assert not stale, f"deploy/ differs from the templates in {stale}: run `make deploy-examples`"
    assert (tmp_path / "hiroba.env").stat().st_mode & 0o077 == 0o040  # 0640: passwords


def test_nginx_site_names_this_instances_paths_and_options(tmp_path: Path) -> None:
    home = tmp_path / "ward"
    made = _hiroba("deploy", "nginx", "--server-name", "hiroba.city.example.jp",
                   "--listen", "8443", "--upstream", "127.0.0.1:8001",
                   "--tls-cert", "/etc/ssl/hiroba/chain.pem", "--tls-key",
                   "/etc/ssl/private/hiroba.key", "--brotli", home=home)  # fmt: skip
    assert made.returncode == 0, made.stderr
    site = made.stdout
    assert f"root {home}/site/current;" in site
    assert "server_name hiroba.city.example.jp;" in site
    assert "listen 8443 ssl" in site and "return 301 https://$host:8443$request_uri;" in site
    assert "server 127.0.0.1:8001;" in site
    assert "ssl_certificate     /etc/ssl/hiroba/chain.pem;" in site
    assert "ssl_certificate_key /etc/ssl/private/hiroba.key;" in site
    assert "brotli on;" in site
    assert "proxy_set_header Host $http_host;" in site
    lets_encrypt = _hiroba("deploy", "nginx", "--server-name", "a.example.jp", home=home).stdout
    assert "/etc/letsencrypt/live/a.example.jp/fullchain.pem;" in lets_encrypt
    assert "brotli" not in lets_encrypt.replace("gzip", "")
    assert "return 301 https://$host$request_uri;" in lets_encrypt


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = tmp_path / "units"
    made = _hiroba("deploy", "systemd", "--unit-dir", str(units), home=tmp_path / "ward")
    assert made.returncode == 0, made.stderr
    names = sorted(p.name for p in units.iterdir())
    assert names == sorted(
        f"hiroba-{n}" for n in ("web.service", "worker.service", "backup.service",
                                "backup.timer", "watch.service", "watch.timer")
    )  # fmt: skip
    web = (units / "hiroba-web.service").read_text()
    assert f"ExecStart={HIROBA} web --host 127.0.0.1 --port 8000 --workers 4 --threads 8" in web
    assert f"WorkingDirectory={tmp_path / 'ward'}" in web and "UMask=0022" in web
    assert f"ExecStart={HIROBA} backup --scheduled" in (units / "hiroba-backup.service").read_text()
    assert f"ExecStart={HIROBA} watch" in (units / "hiroba-watch.service").read_text()
    assert "OnUnitActiveSec=1min" in (units / "hiroba-watch.timer").read_text()
    checked = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    assert checked.returncode == 0, checked.stderr
    for complaint in ("Unknown key", "ignoring", "bad unit file", "Invalid"):
        assert complaint not in checked.stderr, checked.stderr


@pytest.mark.skipif(not Path("/usr/sbin/logrotate").is_file(), reason="logrotate is missing")
def test_logrotate_file_is_read_by_logrotate(tmp_path: Path) -> None:
    made = _hiroba("deploy", "systemd", "--log-dir", str(tmp_path / "logs"), home=tmp_path)
    text = made.stdout.split("### logrotate (/etc/logrotate.d/hiroba)\n", 1)[1]
    (tmp_path / "logs").mkdir(mode=0o750)
    (tmp_path / "logs" / "access.log").write_text("line\n")
    conf = tmp_path / "hiroba.logrotate"
    conf.write_text(text)
    checked = subprocess.run(
        ["/usr/sbin/logrotate", "--debug", "--state", str(tmp_path / "state"), str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "error" not in checked.stderr.lower(), checked.stderr
    assert f"{tmp_path / 'logs'}/access.log" in checked.stderr


def test_env_file_sets_production_and_lists_every_setting(tmp_path: Path) -> None:
    home = tmp_path / "ward"
    made = _hiroba("deploy", "env", "--server-name", "hiroba.city.example.jp", home=home)
    assert made.returncode == 0, made.stderr
    env_file = tmp_path / "hiroba.env"
    env_file.write_text(made.stdout)
    for setting in SETTINGS:
        assert f"{setting.name}=" in made.stdout, setting.name
    # The shell reads it as systemd's EnvironmentFile= does (quoted values, # comments).
    dumped = subprocess.run(
        ["bash", "-c", f"set -a; . {env_file}; env -0"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = dict(item.split("=", 1) for item in dumped.split("\0") if "=" in item)
    settings = Settings.from_env(values)
    assert settings.environment == "production" and settings.home == home
    assert settings.trusted_proxies == 1
    assert settings.public_url == "https://hiroba.city.example.jp"
    assert settings.site_url == "https://hiroba.city.example.jp"
    assert settings.mail_from == "しんじゅく広場 事務局 <office@hiroba.city.example.jp>"
    assert settings.rate_limit_forms == "30 per minute"  # defaults stay commented out
    assert "HIROBA_RATE_LIMIT_FORMS" not in values


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["nginx", "--server-name", "a.jp; include /etc/shadow"], "はホスト名ではありません"),
        (["nginx", "--tls-cert", "/etc/ssl/x.pem; root /"], "だけの絶対パスにしてください"),
        (["nginx", "--tls-key", "relative/key.pem"], "だけの絶対パスにしてください"),
        (["nginx", "--listen", "443 default_server"], "はポート番号でも"),
        (["nginx", "--upstream", "unix:/run/x.sock;"], "はポート番号でも"),
        (["systemd", "--user", "root\nExecStartPre=/bin/sh"], "グループ名でもありません"),
        (["systemd", "--hiroba", "/usr/bin/hiroba --debug"], "だけの絶対パスにしてください"),
        (["nginx", "--acme-root", "/var/www/../../etc"], "だけの絶対パスにしてください"),
    ],
)
def test_bad_values_are_refused_in_one_sentence(tmp_path: Path, argv, sentence) -> None:  # type: ignore[no-untyped-def]
    made = _hiroba("deploy", *argv, home=tmp_path)
    assert made.returncode == 2
    assert made.stdout == ""
    assert made.stderr.count("\n") == 1 and sentence in made.stderr, made.stderr


def test_standalone_config_runs_from_its_folder_as_the_user_asked(tmp_path: Path) -> None:
    run = tmp_path / "run"
    plain = _hiroba("deploy", "nginx", "--standalone", str(run), home=tmp_path).stdout
    assert f"pid {run}/nginx.pid;" in plain and f"client_body_temp_path {run}/" in plain
    assert f"access_log {run}/access.log" in plain
    assert not any(line.startswith("user ") for line in plain.splitlines())  # as its caller
    as_www = _hiroba(
        "deploy", "nginx", "--standalone", str(run), "--standalone-user", "www-data",
        home=tmp_path,
    ).stdout  # fmt: skip
    assert "\nuser www-data;\n" in as_www
    site = _hiroba("deploy", "nginx", home=tmp_path).stdout
    assert "pid " not in site and "events {" not in site  # a site file for sites-available
    assert plain.count("server {") == site.count("server {") == 2
