"""The sample app's contract (scripts/bundle/app): messages, table, counts and the worker's loop."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../scripts/bundle/app"))

import votes  # noqa: E402
import worker  # noqa: E402


class Contract(unittest.TestCase):
    def test_vote_message_is_the_stock_json(self):
        self.assertEqual(json.loads(votes.vote_message("abc123", "a")), {"voter_id": "abc123", "vote": "a"})

    def test_vote_message_refuses_unknown_options_and_odd_ids(self):
        with self.assertRaisesRegex(ValueError, "vote must be one of a, b"):
            votes.vote_message("abc", "c")
        with self.assertRaisesRegex(ValueError, "voter_id"):
            votes.vote_message("a b", "a")

    def test_parse_message_accepts_bytes_and_drops_broken_messages(self):
        self.assertEqual(votes.parse_message(b'{"voter_id": "x1", "vote": "b"}'), ("x1", "b"))
        for raw in ["", "[]", "{", '{"voter_id": "x"}', '{"voter_id": 1, "vote": "a"}', '{"voter_id": "x", "vote": "z"}']:
            self.assertIsNone(votes.parse_message(raw), raw)

    def test_table_and_upsert_keep_one_row_per_voter(self):
        self.assertIn("votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL)", votes.CREATE_TABLE)
        self.assertIn("ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote", votes.UPSERT)

    def test_results_count_every_option(self):
        doc = votes.results_document([("b", 3)], {"a": "Cats", "b": "Dogs"})
        self.assertEqual(doc, {"votes": {"a": 0, "b": 3}, "total": 3, "labels": {"a": "Cats", "b": "Dogs"}})

    def test_settings_come_from_the_pod_environment_with_the_stock_defaults(self):
        self.assertEqual(votes.redis_host({}), "redis")
        self.assertEqual(votes.redis_host({"REDIS_HOST": "cache"}), "cache")
        settings = votes.postgres_settings({"POSTGRES_HOST": "pg", "POSTGRES_USER": "u", "POSTGRES_PASSWORD": "p"})
        self.assertEqual((settings["host"], settings["user"], settings["password"], settings["dbname"]), ("pg", "u", "p", "postgres"))
        self.assertEqual(votes.postgres_settings({})["host"], "db")
        self.assertEqual(votes.option_labels({"OPTION_A": "Tea"}), {"a": "Tea", "b": "Dogs"})


class FakeRedis:
    def __init__(self, items):
        self.items = list(items)

    def blpop(self, keys, timeout):
        assert keys == ["votes"]
        return ("votes", self.items.pop(0)) if self.items else None


class FakeCursor:
    def __init__(self, rows):
        self.rows = rows

    def execute(self, sql, params):
        assert sql == votes.UPSERT
        self.rows[params[0]] = params[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeConnection:
    def __init__(self):
        self.rows, self.commits = {}, 0

    def cursor(self):
        return FakeCursor(self.rows)

    def commit(self):
        self.commits += 1


class Worker(unittest.TestCase):
    def test_drain_stores_the_last_vote_per_voter_and_drops_broken_messages(self):
        items = [votes.vote_message("v1", "a"), b"not json", votes.vote_message("v2", "b"), votes.vote_message("v1", "b")]
        connection, logged = FakeConnection(), []
        stored = worker.drain(FakeRedis(items), connection, logged.append, timeout=0)
        self.assertEqual(stored, 3)
        self.assertEqual(connection.rows, {"v1": "b", "v2": "b"})
        self.assertEqual(connection.commits, 4)
        self.assertEqual(len(logged), 1)
        self.assertIn("dropped a message", logged[0])


if __name__ == "__main__":
    unittest.main()
