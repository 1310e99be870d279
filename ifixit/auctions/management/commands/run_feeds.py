from django.core.management.base import BaseCommand

from ifixit.auctions.feeds.runner import main


class Command(BaseCommand):
    help = "Run the feeds process: consume every enabled auction source until SIGINT/SIGTERM."

    def handle(self, *args, **options):
        self.stdout.write("feeds: running (Ctrl-C stops)")
        main()
