"""The job pages and job API of the integration dashboard (admins): what runs, how each task
does, the dead letters, workers, schedules and the queue (ifixit.jobs holds the data)."""
