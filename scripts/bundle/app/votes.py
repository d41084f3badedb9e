"""The voting app's data contract, shared by vote, worker and result; standard library only.

vote pushes JSON {"voter_id", "vote"} onto the redis list `votes`; worker moves each into the
postgres table `votes`, one row per voter (a later vote replaces the earlier one); result counts
the rows per option. The same contract as the dockersamples images, so tiers can be mixed.
"""

import json
import os
import re

REDIS_LIST = "votes"
OPTIONS = ("a", "b")
CREATE_TABLE = "CREATE TABLE IF NOT EXISTS votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL)"
UPSERT = "INSERT INTO votes (id, vote) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote"
COUNT = "SELECT vote, COUNT(id) AS count FROM votes GROUP BY vote"
_VOTER_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def option_labels(env=None):
    """The two options' display names (OPTION_A / OPTION_B, as the stock vote image reads them)."""
    env = os.environ if env is None else env
    return {"a": env.get("OPTION_A", "Cats"), "b": env.get("OPTION_B", "Dogs")}


def redis_host(env=None):
    env = os.environ if env is None else env
    return env.get("REDIS_HOST") or "redis"


def postgres_settings(env=None):
    """Connection settings from the pod's environment; the stock images' fixed values are the defaults."""
    env = os.environ if env is None else env
    return {
        "host": env.get("POSTGRES_HOST") or "db",
        "user": env.get("POSTGRES_USER") or "postgres",
        "password": env.get("POSTGRES_PASSWORD") or "postgres",
        "dbname": env.get("POSTGRES_DB") or "postgres",
        "connect_timeout": 5,
    }


def valid_voter_id(voter_id):
    return isinstance(voter_id, str) and bool(_VOTER_ID.match(voter_id))


def vote_message(voter_id, vote):
    """The JSON text vote pushes; refuses anything the worker would have to drop."""
    if vote not in OPTIONS:
        raise ValueError(f"vote must be one of {', '.join(OPTIONS)}, got {vote!r}")
    if not valid_voter_id(voter_id):
        raise ValueError(f"voter_id must be 1-255 letters, digits, '-' or '_', got {voter_id!r}")
    return json.dumps({"voter_id": voter_id, "vote": vote})


def parse_message(raw):
    """(voter_id, vote) from a pushed message, or None for a message that breaks the contract."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    voter_id, vote = data.get("voter_id"), data.get("vote")
    if vote not in OPTIONS or not valid_voter_id(voter_id):
        return None
    return voter_id, vote


def tally(rows):
    """Counts per option from (vote, count) rows; options nobody chose count 0."""
    counts = {option: 0 for option in OPTIONS}
    for vote, count in rows:
        if vote in counts:
            counts[vote] += int(count)
    return counts


def results_document(rows, labels):
    """What GET /results.json answers: counts per option, their labels and the total."""
    counts = tally(rows)
    return {"votes": counts, "total": sum(counts.values()), "labels": labels}
