"""The Store's contract on both backends (SQLite, the embedded default, and PostgreSQL): what the
services' code relies on, broken on purpose where it can be."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.open_store import open_store
from dsop_sandbox.mocks.common.records import Records, records_schema
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings, SettingsError
from dsop_sandbox.ports import free_ports
from tests.keys import with_test_keys

#: The application name of the test store's connections (one per service schema).
APP = "dsop-sandbox svc"
SCHEMA = (
    records_schema("clients")
    + records_schema("sessions")
    + """
CREATE TABLE IF NOT EXISTS used (jti TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, big INTEGER NOT NULL, flag INTEGER NOT NULL, ratio REAL, label TEXT
);
"""
)


def settings_for(tmp_path, url: str) -> Settings:
    return Settings.load(environ={}, overrides={"state_dir": str(tmp_path / "state"), "store_url": url})


def opened(settings: Settings, name: str = "svc"):
    return open_store(settings, name, SCHEMA, runtime_tables=("sessions", "used"), registration_tables=("clients",))


@pytest.fixture
def settings(tmp_path, store_url) -> Settings:
    return settings_for(tmp_path, store_url)


@pytest.fixture
def store(settings):
    made = opened(settings)
    yield made
    made.close()


@pytest.fixture
def clock():
    frozen = Clock()
    frozen.freeze(1_800_000_000)
    return frozen


def count(store, table) -> int:
    return store.query_one(f"SELECT COUNT(*) AS n FROM {table}")["n"]


def test_the_backend_is_the_one_asked_for(store, store_url, tmp_path):
    assert store.backend == ("postgresql" if store_url else "sqlite")
    assert store_url or (tmp_path / "state" / "svc.sqlite3").exists()  # its folder made too
    assert {"id", "key", "created", "data"} == store.columns("clients")
    assert {"key", "value"} == store.columns("meta") and "trace_id" in store.columns("events")
    assert store.columns("no_such_table") == set()
    assert store.runtime_tables == ("events", "sessions", "used") and store.registration_tables == ("clients",)


def test_transaction_is_all_or_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO clients(key, created, data) VALUES (?, ?, ?)", ("a", "now", "{}"))
        assert count(store, "clients") == 1  # the transaction sees its own write
        raise RuntimeError("half way")
    assert count(store, "clients") == 0
    with store.transaction() as db:
        db.execute("INSERT INTO clients(key, created, data) VALUES (?, ?, ?)", ("a", "now", "{}"))
    assert count(store, "clients") == 1


def test_a_failed_statement_rolls_the_whole_transaction_back_and_the_store_goes_on(store):
    with pytest.raises(Exception, match=r"(?i)unique|constraint"), store.transaction() as db:
        db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j1", 1.0))
        db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j1", 2.0))
    assert count(store, "used") == 0
    with store.transaction() as db:
        db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j1", 3.0))
    assert store.query_one("SELECT expires FROM used WHERE jti = ?", ("j1",))["expires"] == 3.0


@pytest.mark.parametrize("value", [0.0, 94672800.5, "text % ? 'q'", {"a": [1, None]}, [1, 2], True, None])
def test_meta_round_trips_json(store, value):
    store.set_meta("key", value)
    assert store.get_meta("key", "default") == value


def test_meta_default_and_overwrite(store):
    assert store.get_meta("missing", 7) == 7
    store.set_meta("k", 1)
    store.set_meta("k", 2)
    assert store.get_meta("k") == 2 and count(store, "meta") == 1


def test_reset_keeps_registrations_unless_asked(store, clock):
    clients, sessions = Records(store, "clients", clock), Records(store, "sessions", clock)
    clients.put("c1", {"name": "client"})
    sessions.put("s1", {"user": "u"})
    store.set_meta("calendar_offset", 100.0)
    store.reset()
    assert clients.get("c1")["name"] == "client"
    assert sessions.all() == [] and store.get_meta("calendar_offset") is None
    store.reset(registrations=True)
    assert clients.all() == []


def test_records_keep_the_order_first_put_and_page_by_id(store, clock):
    clients = Records(store, "clients", clock)
    assert clients.put("c1", {"name": "første"}) == {"name": "første", "created": "2027-01-15T08:00:00Z"}
    assert clients.put("c1", {"name": "renamed"})["name"] == clients.get("c1")["name"] == "renamed"
    assert clients.delete("c1") is True and clients.get("c1") is None
    for key in ("z", "a", "m"):
        clients.put(key, {"key": key})
    clients.put("z", {"key": "z", "again": True})  # an update keeps its place
    assert [r["key"] for r in clients.all()] == ["z", "a", "m"]
    first = clients.page(0, 2)
    assert [r["key"] for _, r in first] == ["z", "a"]
    assert [r["key"] for _, r in clients.page(first[-1][0], 2)] == ["m"]
    assert clients.delete("a") is True and clients.delete("a") is False


def test_rows_read_as_sqlite_rows_and_types_keep(store):
    big = 1_790_000_000_123_456  # epoch microseconds: past 32 bits
    with store.transaction() as db:
        (row,) = db.execute(
            "INSERT INTO numbers(big, flag, ratio, label) VALUES (?, ?, ?, ?) RETURNING id", (big, True, 0.1, "Æøå")
        ).fetchall()
        again = db.execute(
            "INSERT INTO numbers(big, flag, ratio, label) VALUES (?, ?, ?, ?) RETURNING id", (1, False, None, "%")
        ).fetchall()[0]["id"]
    assert again == row["id"] + 1
    found = store.query_one("SELECT id, big, flag, ratio, label FROM numbers WHERE id = ?", (row["id"],))
    assert found["big"] == found[1] == big and found["flag"] == 1 and found["ratio"] == 0.1
    assert dict(found) == {"id": row["id"], "big": big, "flag": 1, "ratio": 0.1, "label": "Æøå"}
    assert list(found.keys()) == ["id", "big", "flag", "ratio", "label"]
    assert store.query_one("SELECT label FROM numbers WHERE label = '%' AND big = ?", (1,))["label"] == "%"
    assert store.query_one("SELECT id FROM numbers WHERE id = ?", (-1,)) is None


def test_a_question_mark_or_percent_in_quoted_text_is_text(store):
    row = store.query_one("SELECT '?' AS q, 'a%b' AS p, ? AS given", ("x",))
    assert (row["q"], row["p"], row["given"]) == ("?", "a%b", "x")


def test_text_compares_byte_by_byte(store):
    with store.transaction() as db:
        for label in ("b", "B", "a", "_", "2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z"):
            db.execute("INSERT INTO numbers(big, flag, label) VALUES (0, 0, ?)", (label,))
    labels = [row["label"] for row in store.query("SELECT label FROM numbers ORDER BY label")]
    assert labels == ["2027-01-02T00:00:00Z", "2027-01-10T00:00:00Z", "B", "_", "a", "b"]


def test_on_conflict_do_nothing_and_update_count_as_sqlite_does(store):
    def use(jti, expires, now):
        with store.transaction() as db:
            return db.execute(
                "INSERT INTO used(jti, expires) VALUES (?, ?) ON CONFLICT(jti) DO UPDATE SET expires = excluded.expires"
                " WHERE used.expires < ?",
                (jti, expires, now),
            ).rowcount

    assert use("j", 100.0, 50.0) == 1
    assert use("j", 200.0, 50.0) == 0  # still live: refused
    assert use("j", 200.0, 150.0) == 1  # expired: taken again
    with store.transaction() as db:
        ignored = db.execute("INSERT INTO used(jti, expires) VALUES (?, ?) ON CONFLICT DO NOTHING", ("j", 1.0))
        assert ignored.rowcount == 0


def test_two_stores_on_one_state_serialise_check_then_insert(settings):
    """Two stores on the same state (as two processes would have) and many threads: each jti is
    taken exactly once, because a write transaction sees every write committed before it."""
    stores = [opened(settings), opened(settings)]
    taken, errors = [], []

    def claim(store, jti):
        try:
            with store.transaction() as db:
                if db.execute("SELECT 1 FROM used WHERE jti = ?", (jti,)).fetchone() is None:
                    time.sleep(0.002)  # widen the window between the check and the insert
                    db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", (jti, 1.0))
                    taken.append(jti)
        except Exception as exc:  # a second insert would be a unique violation
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(stores[n % 2], f"jti-{n % 5}")) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sorted(taken) == [f"jti-{n}" for n in range(5)]
        assert count(stores[1], "used") == 5
    finally:
        for store in stores:
            store.close()


def test_a_writer_waits_for_the_open_write_transaction(settings):
    first, second = opened(settings), opened(settings)
    order = []

    def write():
        with second.transaction() as db:
            order.append("second")
            db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j2", 1.0))

    writer = threading.Thread(target=write)
    try:
        with first.transaction() as db:
            db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j1", 1.0))
            writer.start()
            time.sleep(0.3)  # long enough for the other writer to get in, were it not held back
            order.append("first")
        writer.join(10)
        assert order == ["first", "second"] and count(second, "used") == 2
    finally:
        first.close()
        second.close()


def test_an_append_on_postgresql_does_not_wait_for_the_lock(postgres_url, tmp_path):
    first, second = opened(settings_for(tmp_path, postgres_url)), opened(settings_for(tmp_path, postgres_url))
    appended = threading.Event()

    def append():
        with second.transaction(exclusive=False) as db:
            db.execute("INSERT INTO numbers(big, flag) VALUES (?, ?)", (1, 0))
        appended.set()

    try:
        with first.transaction() as db:
            db.execute("INSERT INTO used(jti, expires) VALUES (?, ?)", ("j1", 1.0))
            threading.Thread(target=append).start()
            assert appended.wait(10)  # done while the locked transaction is still open
        assert count(first, "numbers") == 1 and count(first, "used") == 1
    finally:
        first.close()
        second.close()


def test_a_store_survives_reopening(settings, clock):
    first = opened(settings)
    Records(first, "clients", clock).put("c1", {"n": 1})
    first.set_meta("calendar_offset", 42.0)
    first.close()
    second = opened(settings)
    try:
        assert Records(second, "clients", clock).get("c1")["n"] == 1
        assert second.get_meta("calendar_offset") == 42.0
    finally:
        second.close()


def test_services_keep_apart(settings, clock):
    maskinporten, nav = opened(settings, "maskinporten"), opened(settings, "nav")
    try:
        Records(maskinporten, "clients", clock).put("c1", {"n": 1})
        assert Records(nav, "clients", clock).all() == []
    finally:
        maskinporten.close()
        nav.close()


def test_settings_take_store_url_from_the_environment():
    url = "postgresql://team:secret@db.example:5432/sandbox"
    assert Settings.load(environ={"DSOP_SANDBOX__STORE_URL": url}).store_url == url
    assert Settings.load(environ={}).store_url == ""
    with pytest.raises(SettingsError, match="postgresql://"):
        Settings.load(environ={"DSOP_SANDBOX__STORE_URL": "mysql://x/y"})


def test_the_embedded_default_never_imports_the_driver(tmp_path):
    code = (
        "import sys\n"
        "from dsop_sandbox.mocks.common.settings import Settings\n"
        "from dsop_sandbox.mocks.common.open_store import open_store\n"
        f"s = Settings.load(environ={{}}, overrides={{'state_dir': {str(tmp_path)!r}}})\n"
        "open_store(s, 'svc').set_meta('k', 1)\n"
        "assert 'psycopg' not in sys.modules, 'psycopg was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# -- PostgreSQL only: what SQLite has no counterpart for ---------------------------------------------------
def test_a_dropped_connection_is_made_anew(postgres_url, tmp_path, postgres_server):
    import psycopg

    store = opened(settings_for(tmp_path, postgres_url))
    try:
        store.set_meta("k", 1)
        with psycopg.connect(postgres_url, autocommit=True) as admin:  # what a server restart does to it
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APP,))
        assert store.get_meta("k") == 1  # a read: once more on a new connection
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APP,))
        store.set_meta("k", 2)  # a write transaction: begun on a new connection
        assert store.get_meta("k") == 2
        postgres_server.restart()
        assert store.get_meta("k") == 2
    finally:
        store.close()


def test_many_threads_share_a_few_connections(postgres_url, tmp_path):
    import psycopg

    from dsop_sandbox.mocks.common.postgres_store import POOL_SIZE

    store = opened(settings_for(tmp_path, postgres_url))
    seen = []

    def work(n):
        for i in range(5):
            store.set_meta(f"k{n}", i)
            seen.append(
                store.query_one("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = ?", (APP,))["n"]
            )

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(3 * POOL_SIZE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 15 * POOL_SIZE and max(seen) <= POOL_SIZE
        assert [store.get_meta(f"k{n}") for n in range(3 * POOL_SIZE)] == [4] * (3 * POOL_SIZE)
        with psycopg.connect(postgres_url) as admin:
            open_now = admin.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", (APP,))
            assert 1 <= open_now.fetchone()[0] <= POOL_SIZE
    finally:
        store.close()


def test_a_url_is_shown_without_its_password():
    from dsop_sandbox.mocks.common.postgres_store import redacted

    assert redacted("postgresql://team:p%40ss@db.example:5432/sandbox?sslmode=require") == (
        "postgresql://team:***@db.example:5432/sandbox?sslmode=require"
    )
    assert redacted("postgresql://team@[::1]/sandbox") == "postgresql://team@[::1]/sandbox"
    assert redacted("postgresql://team:pw@[::1]/s") == "postgresql://team:***@[::1]/s"


def test_an_unreachable_database_is_a_one_line_startup_error(tmp_path):
    url = f"postgresql://team:s3cret-pass@127.0.0.1:{free_ports(1)[0]}/sandbox"
    with pytest.raises(SettingsError) as refused:
        opened(settings_for(tmp_path, url))
    message = str(refused.value)
    assert "s3cret-pass" not in message and "\n" not in message
    assert message.startswith(f"store_url postgresql://team:***@127.0.0.1:{url.split(':')[3]} cannot be reached")


def test_the_command_line_says_so_in_one_line(tmp_path):
    env = {**os.environ, "DSOP_SANDBOX__STORE_URL": f"postgresql://team:pw@127.0.0.1:{free_ports(1)[0]}/x"}
    env.update({f"DSOP_SANDBOX__SERVICES__{name.upper()}__PORT": "0" for name in SERVICE_NAMES})
    state = with_test_keys(tmp_path / "state")
    done = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.cli", "up", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "cannot be reached" in done.stderr and ":pw@" not in done.stderr


def test_a_connection_made_before_a_fork_stays_the_parents(postgres_url, tmp_path):
    store = opened(settings_for(tmp_path, postgres_url))
    try:
        store.set_meta("k", "parent")
        pid = os.fork()
        if pid == 0:  # the child: its own connection, and the parent's is left alone
            code = 1
            try:
                store.set_meta("k", "child")
                code = 0 if store.get_meta("k") == "child" else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.get_meta("k") == "child"  # the parent's connection still works
    finally:
        store.close()
