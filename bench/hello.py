"""The reference point for bench/run.sh: the smallest Flask app, under the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
