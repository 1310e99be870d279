"""Imports of historical sales into the warehouse: a file is staged while its mapping is chosen
(the page's two steps), becomes an ImportBatch with a checked mapping, and is imported by
import_run, once (a conditional update claims the batch), in chunks that each commit on
their own, so the warehouse stays writable and the progress bar moves; an all-or-nothing
import checks every row first, then stores them all in one transaction. A fact is unique
per (source, source_ref), so importing a file twice, or the same rows in another file,
adds nothing the second time; what was already there is counted as duplicates.
"""

import hashlib
import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from ifixit.accounts.models import User
from ifixit.analytics.warehouse import mappings, tables
from ifixit.analytics.models import ImportBatch, SaleFact
from ifixit.analytics.warehouse.rows import Row, RowReader
from ifixit.jobs import outbox

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "analytics.import_sales"
CHUNK_ROWS = 2_000
LISTED_ERRORS = 1_000
# Rows per "source_ref IN (...)" look-up: well under every database's parameter limit.
LOOKUP_BATCH = 500
STAGING_DIR = "imports/staged"
STAGING_SALT = "ifixit.analytics.import-staged"
STAGING_MAX_AGE = timedelta(days=1)


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"You do not have permission to do this ({perm}).")


# --- Imports: staging a file while its mapping is chosen --------------------------------------


@dataclass(frozen=True)
class StagedFile:
    token: str  # signed, for this user, for a day: the page carries it between its steps
    name: str
    header: list[str]
    sample: list[list[str]]


def _read_header(file) -> tuple[list[str], list[list[str]]]:
    try:
        with tables.open_table(file, getattr(file, "name", "") or "") as table:
            if not any(table.header):
                raise tables.UnreadableFile("The first row of the file is empty: it should name the columns.")
            return table.header, table.sample()
    except tables.UnreadableFile as exc:
        raise ValidationError({"file": str(exc)}) from exc


def import_stage(*, user: User, file) -> StagedFile:
    """Keep an uploaded file while its mapping is chosen; refuse at once what cannot be read."""
    _require(user, IMPORT_PERMISSION)
    header, sample = _read_header(file)
    name = os.path.basename(file.name or "import.csv")[:150]
    file.seek(0)
    # Stored under a generated name with the extension of what the bytes are; the uploader's
    # name is kept only as text (the token, then ImportBatch.file_name).
    path = default_storage.save(f"{STAGING_DIR}/{uuid.uuid4().hex}/upload.{tables.stored_extension(file)}", File(file))
    _staged_sweep()
    token = signing.dumps({"path": path, "user": user.pk, "name": name}, salt=STAGING_SALT, compress=True)
    return StagedFile(token=token, name=name, header=header, sample=sample)


def _unsign(user: User, token: str) -> dict:
    try:
        staged = signing.loads(token, salt=STAGING_SALT, max_age=STAGING_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError({"file": "This upload has expired or is not yours: choose the file again."}) from None
    path = str(staged.get("path", ""))
    if staged.get("user") != user.pk or not path.startswith(STAGING_DIR + "/") or not default_storage.exists(path):
        raise ValidationError({"file": "This upload has expired or is not yours: choose the file again."})
    return staged


def import_staged(*, user: User, token: str) -> StagedFile:
    """The staged file again (its header and first rows), for the mapping step."""
    _require(user, IMPORT_PERMISSION)
    staged = _unsign(user, token)
    with default_storage.open(staged["path"], "rb") as file:
        header, sample = _read_header(file)
    return StagedFile(token=token, name=staged["name"], header=header, sample=sample)


def _staged_sweep() -> None:
    """Files staged and never imported (the page left at its second step) go after a day."""
    cutoff = timezone.now() - STAGING_MAX_AGE
    try:
        folders, _ = default_storage.listdir(STAGING_DIR)
        for folder in folders[:200]:
            _, names = default_storage.listdir(f"{STAGING_DIR}/{folder}")
            for name in names:
                path = f"{STAGING_DIR}/{folder}/{name}"
                if default_storage.get_modified_time(path) < cutoff:
                    default_storage.delete(path)
    except (OSError, NotImplementedError):  # best effort: a storage that cannot list keeps them
        logger.warning("could not sweep staged imports", exc_info=True)


# --- Imports: the batch ------------------------------------------------------------------------


def import_create(
    *, user: User | None, file, mapping: dict, all_or_nothing: bool = False, run_in_background: bool = True
) -> ImportBatch:
    """A batch for the file with its mapping, checked against the file's header: every
    field it names exists, the required ones are there, and each column is in the file.
    user None is the server itself (the import_sales command run without --user).
    The import is queued after commit unless run_in_background is False (the command
    runs it in the foreground)."""
    if user is not None:
        _require(user, IMPORT_PERMISSION)
    header, _ = _read_header(file)
    try:
        parsed = mappings.mapping_parse(mapping, header, currency=settings.CURRENCY)
    except mappings.MappingError as exc:
        raise ValidationError(exc.errors) from exc
    name = os.path.basename(getattr(file, "name", "") or "import.csv")
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(1 << 20):
        digest.update(chunk)
    file.seek(0)
    batch = ImportBatch(
        file_name=name[:200], file_sha256=digest.hexdigest(), mapping=parsed.to_json(), all_or_nothing=all_or_nothing,
        created_by=user,
    )
    batch.file.save(f"import.{tables.stored_extension(file)}", File(file), save=False)  # named by import_file_path
    with transaction.atomic():
        batch.save()
        if run_in_background:
            from ifixit.analytics.warehouse.tasks import run_import

            outbox.enqueue(run_import, [batch.pk], about=batch)
    return batch


def import_create_staged(*, user: User, token: str, mapping: dict, all_or_nothing: bool = False) -> ImportBatch:
    """The page's last step: the staged file becomes a batch, queued; the staged copy goes."""
    _require(user, IMPORT_PERMISSION)
    staged = _unsign(user, token)
    with default_storage.open(staged["path"], "rb") as file:
        file.name = staged["name"]
        batch = import_create(user=user, file=file, mapping=mapping, all_or_nothing=all_or_nothing)
    default_storage.delete(staged["path"])
    return batch


@dataclass
class Tally:
    imported: int = 0
    duplicates: int = 0
    bad_rows: int = 0
    errors: list = field(default_factory=list)  # the first LISTED_ERRORS problems

    def problems(self, row: Row) -> None:
        self.bad_rows += 1
        room = LISTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(row.problems[:room])


Progress = Callable[[ImportBatch], None]


def import_run(batch_id: int, *, resume: bool = False, on_progress: Progress | None = None) -> ImportBatch | None:
    """Import a queued batch once. Claimed by a conditional update, so a duplicate task or
    a second worker does nothing; resume=True (a task the broker redelivered after its
    worker died) also takes over a running batch and imports it again from the top, which
    stores only what is missing. all_or_nothing: a first pass reads every row and, if any
    is bad, the batch is refused and nothing is written; otherwise every chunk is stored
    in one transaction. Without all_or_nothing rows are read and stored in chunks, each
    committed on its own. on_progress is called with the batch after each chunk (the
    command's progress line)."""
    claimable = [ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING] if resume else [ImportBatch.Status.QUEUED]
    claimed = ImportBatch.objects.filter(pk=batch_id, status__in=claimable).update(
        status=ImportBatch.Status.RUNNING, rows_done=0, imported=0, duplicates=0, bad_rows=0
    )
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if not claimed or batch is None:
        return batch
    try:
        with batch.file.open("rb"), tables.open_table(_raw(batch.file), batch.file_name) as table:
            mapping = mappings.mapping_parse(batch.mapping, table.header, currency=settings.CURRENCY)
            today = timezone.localdate()

            def reader() -> RowReader:  # one per pass over the file
                return RowReader(mapping, table.header, currency=settings.CURRENCY, today=today)

            batch.rows_total = table.count()
            _save(batch, "rows_total")
            if batch.all_or_nothing:
                tally = _check_every_row(batch, table, reader(), on_progress)
                if tally.bad_rows:
                    return _finish(batch, ImportBatch.Status.REFUSED, tally)
                # Every row reads well: all of them are stored in one transaction, so a
                # failure part-way (an outage, a value the database refuses) leaves
                # nothing behind. On SQLite other writers wait for it (the file is
                # already read once, so this is the storing alone).
                with transaction.atomic():
                    tally = _import_rows(batch, table, reader(), on_progress)
            else:
                tally = _import_rows(batch, table, reader(), on_progress)
    except tables.UnreadableFile as exc:
        return _fail(batch, str(exc))
    except mappings.MappingError as exc:
        return _fail(batch, f"The mapping does not fit the file: {exc}")
    except Exception as exc:  # a bug or an outage: recorded on the batch, never silent
        logger.exception("import batch %s failed", batch.pk)
        return _fail(batch, f"{exc.__class__.__name__}: {exc}")
    # Counted from the warehouse, not from the look-ups: exact even if another import
    # stored some of the same sales between a chunk's look-up and its insert.
    tally.imported = SaleFact.objects.filter(batch=batch).count()
    tally.duplicates = batch.rows_total - tally.bad_rows - tally.imported
    return _finish(batch, ImportBatch.Status.DONE, tally)


def _raw(field_file):
    """The storage's own file object under a FieldFile (seekable, binary)."""
    return getattr(field_file, "file", field_file)


def _save(batch: ImportBatch, *fields: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(**{name: getattr(batch, name) for name in fields})


def _chunks(rows: Iterable, size: int) -> Iterable[list]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _check_every_row(batch: ImportBatch, table: tables.Table, reader: RowReader, on_progress) -> Tally:
    """The all-or-nothing first pass: read every row, store nothing. rows_done counts the
    rows checked; the import pass then counts in imported and duplicates."""
    tally = Tally()
    for chunk in _chunks(table.rows(), CHUNK_ROWS):
        for number, values in chunk:
            row = reader.read(number, values)
            if row.problems:
                tally.problems(row)
        batch.rows_done += len(chunk)
        batch.bad_rows = tally.bad_rows
        _save(batch, "rows_done", "bad_rows")
        if on_progress:
            on_progress(batch)
    return tally


def _import_rows(batch: ImportBatch, table: tables.Table, reader: RowReader, on_progress) -> Tally:
    tally = Tally()
    counting_rows = not batch.all_or_nothing  # all or nothing: rows_done already counted them all
    publishing = batch.all_or_nothing
    for chunk in _chunks(table.rows(), CHUNK_ROWS):
        facts = []
        for number, values in chunk:
            row = reader.read(number, values)
            if row.problems:
                tally.problems(row)
            else:
                facts.append(row.fact)
        stored = _store(batch, facts)
        tally.imported += stored
        tally.duplicates += len(facts) - stored
        batch.imported, batch.duplicates, batch.bad_rows = tally.imported, tally.duplicates, tally.bad_rows
        if counting_rows:
            batch.rows_done += len(chunk)
        _save(batch, "rows_done", "imported", "duplicates", "bad_rows")
        if publishing:  # the batch's row is not seen before the transaction commits
            publishing = _publish_stored(batch, batch.imported + batch.duplicates)
        if on_progress:
            on_progress(batch)
    return tally


def _store(batch: ImportBatch, facts: list[dict]) -> int:
    """Store the chunk's new facts; return how many were new. A fact is a duplicate when
    the warehouse has its (source, source_ref), or an earlier row of the chunk had it.
    The look-up is per source, so it uses the unique index on (source, source_ref)."""
    new: dict[tuple[str, str], dict] = {}
    for fact in facts:
        new.setdefault((fact["source"], fact["source_ref"]), fact)
    refs_by_source: dict[str, list[str]] = defaultdict(list)
    for source, ref in new:
        refs_by_source[source].append(ref)
    now = timezone.now()
    with transaction.atomic():
        for source, refs in refs_by_source.items():
            for part in _chunks(refs, LOOKUP_BATCH):
                for ref in SaleFact.objects.filter(source=source, source_ref__in=part).values_list("source_ref", flat=True):
                    new.pop((source, ref), None)
        _insert_facts(list(new.values()), batch_id=batch.pk, now=now)
    return len(new)


# Fact fields whose values need the database's preparing; the others are str, int or None.
_PREPARED = ("price", "sale_date", "created_at")


def _insert_facts(facts: list[dict], *, batch_id: int, now) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, sent with executemany. bulk_create prepares every
    value of every row through its field, which took most of an import's time
    (bench/analytics_import.py: 100,000 rows in 18.5 s with bulk_create); here only
    decimals and dates are prepared. ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL)
    skips only a fact another import stored since the look-up, where SQLite's INSERT OR
    IGNORE (bulk_create's ignore_conflicts) would also hide a broken CHECK."""
    if not facts:
        return
    meta = SaleFact._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    )
    prepare = {name: meta.get_field(name) for name in _PREPARED}
    defaults = {f.attname: f.get_default() for f in fields}
    defaults.update(batch_id=batch_id, created_at=prepare["created_at"].get_db_prep_save(now, connection))
    price, sale_date = prepare["price"], prepare["sale_date"]
    attnames = [f.attname for f in fields]
    rows = []
    for fact in facts:
        values = {**defaults, **fact}
        values["price"] = price.get_db_prep_save(values["price"], connection)
        values["sale_date"] = sale_date.get_db_prep_save(values["sale_date"], connection)
        rows.append([values[name] for name in attnames])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _finish(batch: ImportBatch, status: str, tally: Tally) -> ImportBatch:
    batch.status = status
    batch.rows_done = batch.rows_total
    batch.imported, batch.duplicates, batch.bad_rows = tally.imported, tally.duplicates, tally.bad_rows
    batch.errors = tally.errors
    batch.finished_at = timezone.now()
    _save(batch, "status", "rows_done", "imported", "duplicates", "bad_rows", "errors", "finished_at")
    if batch.all_or_nothing:
        _publish_stored(batch, None)
    return batch


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.error, batch.finished_at = ImportBatch.Status.FAILED, message, timezone.now()
    batch.imported = SaleFact.objects.filter(batch=batch).count()  # chunks committed before the failure stay
    _save(batch, "status", "error", "finished_at", "imported")
    if batch.all_or_nothing:
        _publish_stored(batch, None)
    return batch


def _stored_key(batch: ImportBatch) -> str:
    # With the batch's creation time: a database restored or reset reuses ids.
    return f"analytics:import:{batch.pk}:{batch.created_at.timestamp():.6f}:stored"


STORED_SECONDS = 3600


def _publish_stored(batch: ImportBatch, stored: int | None) -> bool:
    """The all-or-nothing storing's progress, for the progress bar (None: the batch ended).
    Best effort: an import run by the command needs no cache, and never fails for want of
    one. False when the cache cannot be reached."""
    try:
        if stored is None:
            cache.delete(_stored_key(batch))
        else:
            cache.set(_stored_key(batch), stored, STORED_SECONDS)
    except Exception as exc:  # the cache's client raises its own errors for a server it cannot reach
        logger.warning("import %s: progress not published to the cache (%s)", batch.pk, exc)
        return False
    return True


def import_repeated_rows(batch: ImportBatch) -> int:
    """How many of the batch's stored sales repeat an earlier line of its file exactly: rows
    without a reference whose fingerprint carries its count (rows.py), each kept as a sale."""
    return SaleFact.objects.filter(batch=batch, source_ref__regex=r"^sha256:[0-9a-f]{64}:[0-9]+$").count()


def import_progress(batch: ImportBatch) -> tuple[int, str]:
    """(percent, what is happening) for the progress bar. All or nothing reads the file
    twice: checking counts for the first half, importing for the second, whose progress
    is in the cache while its transaction is open."""
    if batch.status == ImportBatch.Status.QUEUED:
        return 0, "Waiting for a worker"
    if batch.status != ImportBatch.Status.RUNNING:
        return 100, batch.get_status_display()
    total = batch.rows_total
    if not total:
        return 0, "Reading the file"
    if batch.all_or_nothing:
        if batch.rows_done < total:
            return int(50 * batch.rows_done / total), "Checking every row before importing"
        stored = min(total, max(batch.imported + batch.duplicates, cache.get(_stored_key(batch)) or 0))
        return 50 + int(50 * stored / total), "Importing"
    return int(100 * batch.rows_done / total), "Importing"


def mapping_suggest(header: list[str]) -> dict:
    """A best guess at the mapping from the file's column names (Make, Manufacturer or
    Marque; Hammer price, Sold price or Price; Sale date or Date sold; Mileage or
    Odometer, in km when the name says so; Year or Reg year; ...)."""
    return mappings.mapping_suggest(header)
