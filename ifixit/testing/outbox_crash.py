"""A process that dies at the outbox's worst moments, for the outbox's tests:

    python -m ifixit.testing.outbox_crash before-publish   killed after the commit, before the publish
    python -m ifixit.testing.outbox_crash after-publish    killed after the publish, before the relay's
                                                           claim commits (the broker has the message)

It queues a job probe (ifixit.dashboard) through the outbox, prints the probe's id, and SIGKILLs
itself at that point. The publish is replaced by the kill here, in this throwaway process: the
crash is what is simulated, not the outbox."""

import os
import signal
import sys

import django


def main(mode: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ifixit.settings")
    django.setup()
    from ifixit.dashboard.services import job_probe_queue
    from ifixit.jobs import outbox

    real_send = outbox._send

    def crash(message):
        print(message.args[0], flush=True)
        if mode == "after-publish":
            real_send(message)
        os.kill(os.getpid(), signal.SIGKILL)

    outbox._send = crash
    job_probe_queue(queued_from="outbox-crash")
    print("not killed", flush=True)
    sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1])
