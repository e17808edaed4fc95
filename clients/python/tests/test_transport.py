"""The client's transport against a small local HTTP server: retries on 429
and 503 with Retry-After, their bounds, timeouts, redirects and errors."""

import email.utils
import http.server
import json
import threading
import time
import unittest

from airlock_client import (AirlockError, ConnectionFailed, Client, InstallFailed, RateLimited, Timeout,
                            Unavailable, _retry_after)


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with srv.lock:
            srv.requests.append((self.command, self.path, self.headers.get("Authorization"), body))
            script = srv.script.pop(0) if srv.script else (200, {}, {"results": [], "summary": {}, "notes": []})
        status, headers, doc = script
        if status == "hang":
            srv.release.wait(10)
            return
        data = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _error(code, message):
    return {"error": {"code": code, "message": message, "request_id": "rid-1"}}


class TransportTest(unittest.TestCase):
    def setUp(self):
        self.srv = _Server(("127.0.0.1", 0), _Handler)
        self.srv.lock = threading.Lock()
        self.srv.requests = []
        self.srv.script = []
        self.srv.release = threading.Event()
        thread = threading.Thread(target=self.srv.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.srv.server_close)
        self.addCleanup(self.srv.shutdown)
        self.addCleanup(self.srv.release.set)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.sleeps = []

    def client(self, **kwargs):
        kwargs.setdefault("sleep", self.sleeps.append)
        return Client(self.url, "secret", **kwargs)

    def test_retries_429_honouring_retry_after(self):
        self.srv.script = [
            (429, {"Retry-After": "2"}, _error("rate_limited", "slow down")),
            (503, {"Retry-After": "1"}, _error("unavailable", "busy")),
        ]
        rep = self.client().check(["a==1"])
        self.assertTrue(rep.allowed)
        self.assertEqual(self.sleeps, [2.0, 1.0])
        self.assertEqual(len(self.srv.requests), 3)
        method, path, auth, body = self.srv.requests[-1]
        self.assertEqual((method, path, auth), ("POST", "/v1/check", "Bearer secret"))
        self.assertEqual(json.loads(body.decode()), {"requirements": ["a==1"]})

    def test_real_wait(self):
        # With the real clock: the client does wait what Retry-After says.
        self.srv.script = [(429, {"Retry-After": "1"}, _error("rate_limited", "slow down"))]
        start = time.monotonic()
        Client(self.url, "secret").check(["a==1"])
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_retries_are_bounded(self):
        self.srv.script = [(429, {"Retry-After": "1"}, _error("rate_limited", "token over its limit"))] * 10
        with self.assertRaises(RateLimited) as cm:
            self.client(retries=3).check(["a==1"])
        self.assertEqual(self.sleeps, [1.0, 1.0, 1.0])
        self.assertEqual(len(self.srv.requests), 4)
        err = cm.exception
        self.assertEqual((err.status, err.code, err.retry_after, err.request_id), (429, "rate_limited", 1.0, "rid-1"))
        self.assertIn("token over its limit", str(err))
        self.assertIn("Wait 1 seconds", str(err))

    def test_long_retry_after_is_not_waited(self):
        self.srv.script = [(429, {"Retry-After": "3600"}, _error("rate_limited", "come back later"))]
        with self.assertRaises(RateLimited) as cm:
            self.client(max_retry_wait=30).check(["a==1"])
        self.assertEqual(self.sleeps, [])
        self.assertEqual(cm.exception.retry_after, 3600.0)

    def test_total_wait_is_bounded(self):
        self.srv.script = [(503, {"Retry-After": "20"}, _error("unavailable", "busy"))] * 10
        with self.assertRaises(Unavailable):
            self.client(retries=10, max_total_wait=50).check(["a==1"])
        self.assertEqual(self.sleeps, [20.0, 20.0])

    def test_backoff_without_retry_after(self):
        self.srv.script = [(503, {}, _error("unavailable", "busy"))] * 2
        self.client().check(["a==1"])
        self.assertEqual(self.sleeps, [1.0, 2.0])

    def test_http_date(self):
        when = email.utils.formatdate(time.time() + 5, usegmt=True)
        self.assertAlmostEqual(_retry_after(when), 5.0, delta=1.5)
        self.assertEqual(_retry_after("0"), 0.0)
        self.assertIsNone(_retry_after("soon"))
        self.assertIsNone(_retry_after(None))

    def test_other_errors_are_not_retried(self):
        self.srv.script = [(502, {}, _error("install_failed", "the install could not be carried out"))]
        with self.assertRaises(InstallFailed) as cm:
            self.client().install("e", ["a"])
        self.assertEqual(len(self.srv.requests), 1)
        self.assertIn("could not be carried out (request rid-1)", str(cm.exception))

    def test_server_timeout_code_is_unavailable(self):
        self.srv.script = [(503, {"Retry-After": "1"}, _error("timeout", "took too long"))] * 5
        with self.assertRaises(Unavailable):
            self.client(retries=1).check(["a"])

    def test_client_timeout(self):
        self.srv.script = [("hang", {}, None)]
        with self.assertRaises(Timeout) as cm:
            self.client(timeout=0.5).check(["a==1"])
        self.assertIn("did not answer", str(cm.exception))

    def test_redirect_is_refused(self):
        self.srv.script = [(302, {"Location": "http://127.0.0.1:1/steal"}, {})]
        with self.assertRaises(AirlockError) as cm:
            self.client().check(["a==1"])
        self.assertEqual(cm.exception.status, 302)
        self.assertEqual(len(self.srv.requests), 1)

    def test_not_json(self):
        self.srv.script = [(200, {}, b"<html>proxy error</html>")]
        with self.assertRaises(AirlockError) as cm:
            self.client().check(["a==1"])
        self.assertIn("not JSON", str(cm.exception))

    def test_connection_refused(self):
        self.srv.shutdown()
        self.srv.server_close()
        with self.assertRaises(ConnectionFailed) as cm:
            self.client().check(["a==1"])
        self.assertIn("cannot reach airlock", str(cm.exception))

    def test_review_ids(self):
        self.srv.script = [(200, {"Airlock-Reviews": "7, 9"}, {
            "id": "x", "env": "e", "outcome": "review", "requirements": ["a"], "releases": [], "installed": [],
            "notes": [], "check": {"results": [{"input": "a", "decision": "review", "findings": [
                {"rule": "not-allowed", "action": "review", "message": "a is not on the allow list"}]}],
                "summary": {"review": 1}, "notes": []}})]
        from airlock_client import NeedsReview

        with self.assertRaises(NeedsReview) as cm:
            self.client().install("e", ["a"])
        self.assertEqual(cm.exception.reviews, ["7", "9"])
        self.assertIn("review 7, 9", str(cm.exception))
        self.assertIn("  - not-allowed: a is not on the allow list", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
