"""The `hiroba` command speaks Japanese by default and English when the environment asks:
real `hiroba` processes with LANG, LC_ALL, LC_MESSAGES and LANGUAGE set as an operator would,
their help, outputs and errors (argparse's own words included); machine formats unchanged."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from personal_data import HIROBA
from preforked import run_hiroba
from redis import Redis

from intake.cli.language import language_of

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ENGLISH = "en_US.UTF-8"


@pytest.fixture
def cli_env(tmp_path: Path, redis_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A fresh SQLite instance home, our private Redis, and no language set at all."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    Redis.from_url(redis_server.url).flushall()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HIROBA_", "LC_")) and k not in ("LANG", "LANGUAGE")
    }
    env.update({"HIROBA_HOME": str(tmp_path / "home"), "HIROBA_REDIS_URL": redis_server.url})
    return env


def hiroba(env: dict[str, str], *args: str, **language: str) -> subprocess.CompletedProcess[str]:
    """Run `hiroba args...` as its own process with env and the language variables: forked
    from one with the CLI imported (tests/preforked.py), which reads the language in the
    child, from its environment, as the console script does. The start-up itself, console
    script and `python -m`, is what console_script and test_python_m_intake_cli_speaks_too
    run."""
    return run_hiroba(list(args), {**env, **language}, os.getcwd(), timeout=300)


def console_script(
    env: dict[str, str], *args: str, **language: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed `hiroba` console script in a fresh interpreter."""
    return subprocess.run(
        [*HIROBA, *args],
        env={**env, **language},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "ja"),
        ({"LANG": "C"}, "ja"),
        ({"LANG": "C.UTF-8"}, "ja"),
        ({"LANG": "POSIX"}, "ja"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "fr_FR.UTF-8"}, "ja"),
        ({"LANG": "en"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_GB.utf8"}, "en"),
        # gettext's order: LC_ALL, then LC_MESSAGES, then LANG.
        ({"LANG": "ja_JP.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "C.UTF-8"}, "ja"),
        ({"LC_ALL": "", "LANG": "en_US.UTF-8"}, "en"),  # an empty variable is not set
        # LANGUAGE comes first, unless the locale is C.
        ({"LANGUAGE": "en:ja", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:en", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANGUAGE": "en", "LANG": "C.UTF-8"}, "ja"),
    ],
)
def test_the_language_is_chosen_as_gettext_chooses_it(environ, expected):
    assert language_of(environ) == expected


def test_help_is_japanese_by_default_and_english_with_lang_en(cli_env):
    for language in ({}, {"LANG": "C.UTF-8"}, {"LANG": "ja_JP.UTF-8"}):
        japanese = console_script(cli_env, "--help", **language)
        assert japanese.returncode == 0, japanese.stderr
        assert japanese.stdout.startswith("使い方: hiroba"), japanese.stdout[:200]
        assert "このヘルプを表示して終了します" in japanese.stdout
        assert "インスタンスのフォルダー、鍵" in japanese.stdout  # init
        assert "show this help" not in japanese.stdout and "usage:" not in japanese.stdout
    english = console_script(cli_env, "--help", LANG=ENGLISH)
    assert english.returncode == 0, english.stderr
    assert english.stdout.startswith("usage: hiroba")
    assert "Create the instance folder, its keys" in english.stdout
    assert not JAPANESE.search(english.stdout.replace("事故対応", "")), english.stdout
    # A sub-command's options too, and the environment's precedence in a real process.
    backup = console_script(cli_env, "backup", "--help", LANG=ENGLISH, LC_ALL="ja_JP.UTF-8")
    assert "代わりにバケットへ書き出します" in backup.stdout and "オプション:" in backup.stdout
    backup = console_script(cli_env, "backup", "--help", LANG="ja_JP.UTF-8", LC_MESSAGES=ENGLISH)
    assert "write the backup into a bucket instead" in backup.stdout


def test_argparse_errors_speak_the_language(cli_env):
    japanese = hiroba(cli_env, "create-user", "--role", "boss", "--login", "x")
    assert japanese.returncode == 2
    assert "エラー: 引数 --role: 選択肢にない値です: 'boss'" in japanese.stderr, japanese.stderr
    assert "使い方: hiroba create-user" in japanese.stderr
    missing = hiroba(cli_env, "create-user")
    assert "次の引数が必要です: --role, --login" in missing.stderr, missing.stderr
    english = hiroba(cli_env, "create-user", "--role", "boss", "--login", "x", LANG=ENGLISH)
    assert "error: argument --role: invalid choice: 'boss'" in english.stderr, english.stderr
    unknown = hiroba(cli_env, "no-such-command", LANG=ENGLISH)
    assert "invalid choice: 'no-such-command'" in unknown.stderr and unknown.returncode == 2


def test_outputs_and_errors_of_real_commands_in_each_language(cli_env):
    init = hiroba(cli_env, "init")
    assert init.returncode == 0, init.stderr
    assert "データベースを移行しています…" in init.stdout
    assert "インスタンスの準備ができました:" in init.stdout
    again = hiroba(cli_env, "migrate", LANG=ENGLISH)
    assert re.search(r"^database already at revision \S+ \(newest\)$", again.stdout, re.M)
    again = hiroba(cli_env, "migrate")
    assert "データベースはすでに最新のリビジョン" in again.stdout

    password = {"HIROBA_PASSWORD": "speaking-password-1"}
    made = hiroba(cli_env, "create-user", "--role", "moderator", "--login", "mod-ja", **password)
    assert made.returncode == 0, made.stderr
    assert "moderator mod-ja を作成しました（アカウント" in made.stdout
    taken = hiroba(
        cli_env, "create-user", "--role", "staff", "--login", "mod-ja", **password, LANG=ENGLISH
    )
    assert taken.returncode == 2 and "error: the login 'mod-ja' is taken" in taken.stderr
    taken = hiroba(cli_env, "create-user", "--role", "staff", "--login", "mod-ja", **password)
    assert "エラー: ログインID 'mod-ja' はすでに使われています" in taken.stderr
    # A refused value: the validation's own message, in the command's language.
    short = {"HIROBA_PASSWORD": "short"}
    weak = hiroba(cli_env, "create-user", "--role", "staff", "--login", "staff-a", **short)
    assert weak.returncode == 2 and "エラー: パスワードは10文字以上" in weak.stderr
    weak = hiroba(
        cli_env, "create-user", "--role", "staff", "--login", "staff-a", **short, LANG=ENGLISH
    )
    assert "error: The password must be at least 10 characters" in weak.stderr, weak.stderr
    nobody = hiroba(cli_env, "disable-user", "--login", "nobody-here")
    assert nobody.returncode == 2
    assert "エラー: ログインID 'nobody-here' のアカウントはありません" in nobody.stderr

    verified = hiroba(cli_env, "audit", "verify")
    assert re.search(r"監査ログは改ざんされていません: \d+ 件", verified.stdout), verified.stdout
    verified = hiroba(cli_env, "audit", "verify", LANG=ENGLISH)
    assert re.search(r"audit log intact: \d+ entries", verified.stdout), verified.stdout
    retried = hiroba(cli_env, "retry-failed")
    assert "失敗したタスク 0 件をやり直しにしました" in retried.stdout
    refused = hiroba(cli_env, "erase-personal-data", "--operator", "someone")
    assert refused.returncode == 2 and "--yes を付けてください" in refused.stderr
    refused = hiroba(cli_env, "erase-personal-data", "--operator", "someone", LANG=ENGLISH)
    assert "add --yes" in refused.stderr and not JAPANESE.search(refused.stderr)
    bad_year = hiroba(cli_env, "report", "--year", "1999")
    assert bad_year.returncode == 2 and "--year は 2000 から 2100 までです" in bad_year.stderr


def test_machine_formats_stay_the_same_in_every_language(cli_env):
    assert hiroba(cli_env, "init").returncode == 0
    reports = [
        hiroba(cli_env, "report", "--year", "2026", "--format", "json", **language)
        for language in ({}, {"LANG": ENGLISH})
    ]
    assert all(r.returncode == 0 for r in reports), [r.stderr for r in reports]
    assert reports[0].stdout == reports[1].stdout
    json.loads(reports[0].stdout)
    csvs = [
        hiroba(cli_env, "report", "--year", "2026", "--format", "csv", **language).stdout
        for language in ({}, {"LANG": ENGLISH})
    ]
    assert csvs[0] == csvs[1] and csvs[0]
    envs = [
        hiroba(cli_env, "deploy", "env", **language).stdout for language in ({}, {"LANG": ENGLISH})
    ]
    assert envs[0] == envs[1] and "HIROBA_HOME" in envs[0]


def test_python_m_intake_cli_speaks_too(cli_env):
    """The command without its installed script (how `hiroba up` starts its steps)."""
    done = subprocess.run(
        [sys.executable, "-m", "intake.cli", "--help"],
        env={**cli_env, "LANG": ENGLISH},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.startswith("usage: hiroba")


@pytest.mark.parametrize(
    ("language", "expected", "foreign"),
    [
        (
            "C.UTF-8",
            ["Hiroba が動いています", "審査を待っているもの: 投稿 2件、お問い合わせ 1件"],
            "running",
        ),
        (
            "en_US.UTF-8",
            ["Hiroba is running", "Waiting for moderation: posts: 2, inquiries: 1."],
            "審査",
        ),
    ],
)
def test_the_first_start_block_speaks_the_operators_language(
    tmp_path: Path, language: str, expected: list[str], foreign: str
) -> None:
    """`hiroba up`'s closing block (addresses, logins, the waiting work) in either language;
    tests/test_first_start.py runs the real `hiroba up` in the default, Japanese."""
    script = (
        "from pathlib import Path\n"
        "from intake.cli.language import language_of, speaking\n"
        "from intake.cli.up import closing_block, waiting_words\n"
        "with speaking(language_of()):  # as the hiroba command runs each of its commands\n"
        "    waiting = waiting_words({'posts': 2, 'inquiries': 1})\n"
        "    print(closing_block(8000, None, {'web': Path('logs/web.log')}, waiting, True))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANGUAGE"}
    shown = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "LANG": language},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for text in expected:
        assert text in shown, shown
    assert foreign not in shown, shown
    assert "http://127.0.0.1:8000/app/moderation" in shown


# An English sentence left in Japanese output: three lowercase words in a row (paths, URLs,
# table names and `hiroba init` are one or two words).
ENGLISH_SENTENCE = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b")


def speaks_japanese(text: str) -> str:
    """Return text after failing when an English sentence is left in it."""
    assert JAPANESE.search(text), text
    assert not ENGLISH_SENTENCE.findall(text), text
    return text


def speaks_english(text: str) -> str:
    """Return text after failing when any Japanese is left in it."""
    assert text.strip() and not JAPANESE.search(text), text
    return text


def both(env: dict[str, str], *args: str, code: int = 0, **extra: str) -> tuple[str, str]:
    """Run a command in Japanese (no locale) and with LANG=en; return both outputs."""
    found = []
    for language in ({}, {"LANG": ENGLISH}):
        done = hiroba(env, *args, **extra, **language)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        found.append(done.stdout + done.stderr)
    return found[0], found[1]


def test_demo_speaks_the_language(cli_env, tmp_path):
    assert hiroba(cli_env, "init").returncode == 0
    japanese = hiroba(cli_env, "demo")
    assert japanese.returncode == 0, japanese.stderr
    out = speaks_japanese(japanese.stdout)
    assert "審査担当者: demo-moderator / demo-moderator-password" in out
    assert "二段階認証（表示はこの一度だけです" in out and "回復コード" in out
    assert "審査待ち: 投稿 2 件、登録 1 件" in out and "デモの準備ができました" in out
    again = hiroba(cli_env, "demo", LANG=ENGLISH)
    assert speaks_english(again.stdout).strip() == "demo data already present"
    english_env = {**cli_env, "HIROBA_HOME": str(tmp_path / "english-home")}
    assert hiroba(english_env, "init").returncode == 0
    english = hiroba(english_env, "demo", LANG=ENGLISH)
    assert english.returncode == 0, english.stderr
    out = speaks_english(english.stdout)
    assert "moderator: demo-moderator / demo-moderator-password" in out
    assert "TOTP secret (base32):" in out and "recovery codes (each works once):" in out
    assert "waiting for moderation: 2 posts" in out and out.rstrip().endswith("posts")


def test_check_details_speak_the_language(cli_env):
    assert hiroba(cli_env, "init").returncode == 0
    japanese, english = both(cli_env, "check", code=1, HIROBA_SMTP_HOST="")
    for line in japanese.splitlines():
        assert line.startswith("hiroba check: "), line
    speaks_japanese(japanese)
    assert "ワーカー: キュー " in japanese and "`hiroba worker` を起動してください" in japanese
    assert "サイト: " in japanese and "に公開中のサイトがありません" in japanese
    speaks_english(english)
    assert "worker: no worker is running on queue" in english
    assert "site: no site is live at" in english
    # A bad setting, as `check` reports it and as every other command refuses to start.
    japanese, english = both(cli_env, "check", code=1, HIROBA_ENV="staging")
    assert "設定: HIROBA_ENV='staging' は正しくありません: 'development' か" in japanese
    assert "configuration: HIROBA_ENV='staging' is not valid: must be" in english
    japanese, english = both(cli_env, "migrate", code=2, HIROBA_REDIS_URL="http://x")
    speaks_japanese(japanese)
    assert "hiroba: HIROBA_REDIS_URL='http://x' は redis:// の URL ではありません。" in japanese
    speaks_english(english)
    assert "hiroba: HIROBA_REDIS_URL='http://x' is not a redis:// URL." in english
    japanese, english = both(cli_env, "migrate", code=2, HIROBA_TRUSTED_PROXIES="x")
    speaks_japanese(japanese)
    speaks_english(english)
    assert "is not valid: must be a whole number" in english


def test_backup_restore_export_and_purge_speak_the_language(cli_env, tmp_path):
    assert hiroba(cli_env, "init").returncode == 0
    japanese, english = both(cli_env, "backup", "--output", str(tmp_path / "b.backup"))
    assert "のバックアップ（" in speaks_japanese(japanese) and "バイト、スキーマ" in japanese
    assert " backup (" in speaks_english(english) and " bytes, schema " in english
    japanese, english = both(cli_env, "restore", "--force", str(tmp_path / "b.backup"))
    assert "を復元しました: " in speaks_japanese(japanese)
    assert speaks_english(english).startswith(f"restored {tmp_path / 'b.backup'}: ")
    password = {"HIROBA_PASSWORD": "return-password-1"}
    japanese, english = both(
        cli_env, "export-for-return", "--output", str(tmp_path / "r.zip"), **password
    )
    assert "に書き出しました（管理簿の記録 " in speaks_japanese(japanese)
    assert "(ledger entry " in speaks_english(english) and english.startswith("exported ")
    japanese, english = both(cli_env, "purge", "--dry-run")
    lines = japanese.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("消去します（試行）: ") for line in lines)
    speaks_japanese(japanese)
    assert all(line.startswith("would purge ") for line in english.strip().splitlines())
    speaks_english(english)
    japanese, english = both(cli_env, "purge")
    assert speaks_japanese(japanese).startswith("消去しました: ")
    assert speaks_english(english).startswith("purged ")


def test_hiroba_toml_and_key_file_errors_speak_the_language(cli_env):
    """A broken hiroba.toml, a corrupt and a missing key file: one Japanese sentence by
    default, the same in English with LANG=en (intake/deployment.py, intake/crypto.py)."""
    assert hiroba(cli_env, "init").returncode == 0
    home = Path(cli_env["HIROBA_HOME"])

    def both(ja: str, en: str) -> None:
        for lang, words in ((None, ja), (ENGLISH, en)):
            run = hiroba(cli_env, "audit", "verify", **({"LANG": lang} if lang else {}))
            assert run.returncode == 2, (run.stdout, run.stderr)
            line = run.stderr.strip()
            assert line.startswith("hiroba: ") and "\n" not in line, run.stderr
            assert words in line, line
            assert bool(JAPANESE.search(line)) == (lang is None), line

    toml = home / "hiroba.toml"
    for text, ja, en in (
        ("[backup]\nkeep_daily = 0\n", "backup.keep_daily は 1 から 3650 の整数",
         "backup.keep_daily must be a whole number, 1 to 3650."),
        ("[audiences\n", "は正しい TOML ではありません（", "is not valid TOML ("),
        ("[mystery]\n", "[mystery] は知られていない節です。", "[mystery] is not a known section."),
        ('[operator]\nalert_email = "nobody"\n', "operator.alert_email は",
         "operator.alert_email must be an address"),
    ):  # fmt: skip
        toml.write_text(text, encoding="utf-8")
        both(ja, en)
    toml.unlink()

    keys = home / "keys"
    (keys / "data-keys.json").write_text("{not json", encoding="utf-8")  # keeps its 0600
    both("は正しい鍵ファイルではありません。", "data-keys.json is not a valid key file.")
    (keys / "data-keys.json").write_text('{"keys": {"k1": "AAAA"}, "active": "k1"}')
    both("には 32 バイトの鍵と", "must hold 32-byte keys and name one.")
    (keys / "data-keys.json").unlink()
    both("がないので、先に `hiroba init` を実行してください。", "hiroba init")


def test_backup_and_deploy_errors_speak_the_language(cli_env, tmp_path):
    """Errors raised deep in the code (intake/protection/sealed_stream.py,
    intake/deploy/render.py) are one sentence in the command's language, without the
    English name of their class."""
    assert hiroba(cli_env, "init").returncode == 0
    corrupt = tmp_path / "corrupt.backup"
    corrupt.write_bytes(b"not a backup at all\n" * 10)
    japanese, english = both(cli_env, "restore", "--force", str(corrupt), code=1)
    assert japanese == f"hiroba: {corrupt} は Hiroba のバックアップではありません。\n"
    assert english == f"hiroba: {corrupt} is not a Hiroba backup.\n"
    bad_name = "a.jp; include /etc/shadow"
    japanese, english = both(cli_env, "deploy", "nginx", "--server-name", bad_name, code=2)
    assert japanese == f"hiroba: --server-name の「{bad_name}」はホスト名ではありません。\n"
    assert english == f'hiroba: --server-name "{bad_name}" is not a host name.\n'
    for text in (japanese, english):
        assert "Error" not in text and text.count("\n") == 1
