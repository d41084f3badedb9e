"""result: the counts on port $PORT (80 in the pod); GET /results.json answers them as JSON.

GET / is a static page that polls /results.json, so the probes on / never touch postgres.
"""

from contextlib import closing

import psycopg2
import psycopg2.errors
from flask import Flask, jsonify

import votes

app = Flask(__name__)

PAGE = """<!doctype html>
<html><head><title>Results</title></head>
<body>
<h1>Results</h1>
<p id="results">Waiting for votes...</p>
<script>
async function refresh() {
  try {
    const r = await (await fetch("results.json")).json();
    document.getElementById("results").textContent =
      `${r.labels.a}: ${r.votes.a}, ${r.labels.b}: ${r.votes.b} (${r.total} votes)`;
  } catch (e) {}
}
refresh();
setInterval(refresh, 1000);
</script>
</body></html>
"""


@app.get("/")
def index():
    return PAGE


@app.get("/results.json")
def results():
    try:
        with closing(psycopg2.connect(**votes.postgres_settings())) as connection, connection.cursor() as cursor:
            try:
                cursor.execute(votes.COUNT)
                rows = cursor.fetchall()
            except psycopg2.errors.UndefinedTable:
                rows = []  # the worker has not created the table yet: nobody has voted
    except psycopg2.Error as error:
        return jsonify({"error": f"database unavailable: {type(error).__name__}"}), 503
    return jsonify(votes.results_document(rows, votes.option_labels()))
