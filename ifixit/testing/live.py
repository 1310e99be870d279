"""What the browser tests of several apps share: the real system with its mail (uvicorn and a
Celery worker sending to the stand-in SMTP server), and the check that a page fits a phone."""

import pytest

from ifixit.testing.processes import process_env, start_web, start_worker


@pytest.fixture
def system(request, tmp_path, smtp_server):
    """The web server (its `url`) and a worker whose email reaches `smtp_server`; their logs
    are named after the test's app (`crm-web`, `crm-worker`)."""
    app = request.module.__name__.split(".")[1]
    env = process_env(EMAIL_HOST=smtp_server.host, EMAIL_PORT=str(smtp_server.port), EMAIL_USE_TLS="0")
    web = start_web(f"{app}-web", tmp_path, env)
    worker = start_worker(f"{app}-worker", tmp_path, env)
    yield web
    worker.kill()
    web.kill()


def fits(page) -> None:
    """The page does not scroll sideways on a 375 px wide phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{page.url} scrolls sideways at 375 px"
