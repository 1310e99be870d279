"""Import a file of historical sales (auction results or retail sales) into the warehouse,
in the foreground: the same checks and the same import as the page (analytics.warehouse.imports).

    manage.py import_sales results.xlsx --mapping bca.json [--all-or-nothing] [--user USERNAME]

The mapping file is a JSON object, I-fixit field -> the file's column, for example:

    {"make": "Manufacturer", "model": "Model", "price": "Hammer price", "sale_date": "Sale date",
     "mileage": "Odometer", "mileage_unit": "km", "source": "BCA", "kind": "auction"}

(see analytics.warehouse.mappings for every field; a file of one make gives it as
{"make": {"value": "Toyota"}}, and a file naming make, model and trim in one column as
{"make_model": "name"}). Identical lines without a reference are separate sales, and the summary
says how many there were. Exits with a non-zero code when the file cannot
be read, the mapping does not fit it, or it was refused (all or nothing with bad rows).
"""

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from ifixit.accounts.models import User
from ifixit.analytics.models import ImportBatch
from ifixit.analytics.warehouse import imports


class Command(BaseCommand):
    help = "Import historical sales from a CSV or XLSX file, with a JSON mapping of I-fixit fields to its columns."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or XLSX file.")
        parser.add_argument("--mapping", required=True, help="A JSON file: I-fixit field -> the file's column.")
        parser.add_argument("--all-or-nothing", action="store_true", help="Import nothing if any row is bad.")
        parser.add_argument("--user", help="Record the import as this user's (who must be allowed to import).")

    def handle(self, *args, file, mapping, all_or_nothing, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            mapping_data = json.loads(Path(mapping).read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise CommandError(f"Cannot read the mapping {mapping}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"The mapping {mapping} is not JSON: {exc}") from exc
        owner = None
        if user:
            owner = User.objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user {user!r}.")

        with path.open("rb") as handle:
            try:
                batch = imports.import_create(
                    user=owner, file=File(handle, name=path.name), mapping=mapping_data, all_or_nothing=all_or_nothing,
                    run_in_background=False,
                )
            except PermissionDenied as exc:
                raise CommandError(f"{user} may not import sales ({imports.IMPORT_PERMISSION}).") from exc
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.stderr.write(f"{field}: {' '.join(messages)}")
                raise CommandError(f"{path.name} was not imported: fix the mapping (or the file) and run again.") from exc

        self.stdout.write(f"Import #{batch.pk}: {path.name}{' (all or nothing)' if all_or_nothing else ''}")
        batch = imports.import_run(batch.pk, on_progress=self._progress())
        self._summary(batch)
        if batch.status != ImportBatch.Status.DONE:
            raise CommandError(batch.error or f"{path.name}: {batch.get_status_display()}.")

    def _progress(self):
        """One line rewritten in a terminal; a line every tenth of the way otherwise (logs)."""
        live = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        shown = {"step": -1}

        def show(batch: ImportBatch) -> None:
            percent, stage = imports.import_progress(batch)
            line = f"{stage}: {percent}% ({batch.rows_total:,} rows)"
            if live:
                self.stdout.write(f"\r{line}  ", ending="")
                self.stdout.flush()
            elif percent // 10 > shown["step"]:
                shown["step"] = percent // 10
                self.stdout.write(line)

        return show

    def _summary(self, batch: ImportBatch) -> None:
        out = self.stdout
        if hasattr(out, "isatty") and out.isatty():
            out.write("")
        out.write(f"{batch.get_status_display()}: {batch.rows_total:,} rows, {batch.imported:,} imported, "
                  f"{batch.duplicates:,} already in the warehouse, {batch.bad_rows:,} bad.")
        repeated = imports.import_repeated_rows(batch)
        if repeated:
            out.write(f"{repeated:,} of the imported rows repeat an earlier line of the file exactly: each is kept "
                      "as a sale of its own (two cars can be listed alike), and importing the file again adds none of them.")
        if batch.errors:
            out.write("Bad rows (row, column: reason):")
            for problem in batch.errors:
                out.write(f"  {problem['row']}, {problem['column']}: {problem['reason']}")
            if batch.bad_rows > len({p['row'] for p in batch.errors}):
                out.write(f"  ... the first {len(batch.errors):,} problems are listed.")
