"""vote: the voting page on port 80; a POST pushes {voter_id, vote} onto the redis list `votes`.

GET / touches no backend (the pod's probes use it); the voter is remembered by the `voter_id`
cookie, as in the stock image.
"""

import secrets
import socket

import redis
from flask import Flask, make_response, render_template_string, request

import votes

app = Flask(__name__)
_redis = None

PAGE = """<!doctype html>
<html><head><title>{{ a }} vs {{ b }}</title></head>
<body>
<h1>{{ a }} vs {{ b }}!</h1>
<form method="POST" action="/">
  <button name="vote" value="a">{{ a }}</button>
  <button name="vote" value="b">{{ b }}</button>
</form>
{% if vote %}<p>You voted for {{ a if vote == "a" else b }}.</p>{% endif %}
<p>Processed by container ID {{ hostname }}</p>
</body></html>
"""


def redis_client():
    global _redis
    if _redis is None:
        _redis = redis.Redis(host=votes.redis_host(), port=6379, socket_timeout=5)
    return _redis


@app.route("/", methods=["GET", "POST"])
def index():
    voter_id = request.cookies.get("voter_id")
    if not votes.valid_voter_id(voter_id):
        voter_id = secrets.token_hex(8)
    vote = None
    if request.method == "POST":
        vote = request.form.get("vote")
        try:
            message = votes.vote_message(voter_id, vote)
        except ValueError as error:
            return str(error), 400
        redis_client().rpush(votes.REDIS_LIST, message)
    labels = votes.option_labels()
    page = render_template_string(PAGE, a=labels["a"], b=labels["b"], vote=vote, hostname=socket.gethostname())
    response = make_response(page)
    response.set_cookie("voter_id", voter_id)
    return response
