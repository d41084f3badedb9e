"""worker: moves votes from the redis list into postgres, one row per voter.

It has no port and no probe: when it cannot reach redis or postgres it retries with a growing
pause, and after a long outage exits so that the kubelet restarts it visibly.
"""

import sys
import time

import votes

MAX_FAILURES = 30


def store(cursor, raw):
    """Writes one pushed message; returns False when the message breaks the contract and is dropped."""
    parsed = votes.parse_message(raw)
    if parsed is None:
        return False
    cursor.execute(votes.UPSERT, parsed)
    return True


def drain(redis_client, connection, log, timeout=5):
    """Processes messages until redis has none for `timeout` seconds; returns how many were stored."""
    stored = 0
    while True:
        item = redis_client.blpop([votes.REDIS_LIST], timeout=timeout)
        if item is None:
            return stored
        with connection.cursor() as cursor:
            if store(cursor, item[1]):
                stored += 1
            else:
                log(f"dropped a message that is not {{voter_id, vote}}: {item[1]!r:.200}")
        connection.commit()


def connect(env=None):
    import psycopg2
    import redis

    client = redis.Redis(host=votes.redis_host(env), port=6379, socket_timeout=30)
    client.ping()
    connection = psycopg2.connect(**votes.postgres_settings(env))
    with connection.cursor() as cursor:
        cursor.execute(votes.CREATE_TABLE)
    connection.commit()
    return client, connection


def main():
    def log(message):
        print(f"worker: {message}", file=sys.stderr, flush=True)

    failures = 0
    while True:
        try:
            client, connection = connect()
            log("connected to redis and postgres")
            failures = 0
            while True:
                drain(client, connection, log)
        except Exception as error:  # noqa: BLE001 - any outage: reconnect, then give up loudly
            failures += 1
            log(f"{type(error).__name__}: {error} (attempt {failures}/{MAX_FAILURES})")
            if failures >= MAX_FAILURES:
                return 1
            time.sleep(min(failures, 5))


if __name__ == "__main__":
    sys.exit(main())
