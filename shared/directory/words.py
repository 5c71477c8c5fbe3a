"""How the audit trail names what was done with the directory."""

ACTIONS = {
    "directory.created": "Added a directory entry",
    "directory.updated": "Changed a directory entry",
    "directory.deleted": "Deleted a directory entry",
    "directory.reviewed": "Marked a directory entry as checked",
    "directory.import": "Imported directory entries",
    "directory.publish": "Published the directory",
    "directory.rollback": "Put back an earlier version of the published directory",
    "directory.report_resolved": "Dealt with a report about a directory entry",
}
FIELDS = {
    "name": "Name",
    "description": "Description",
    "organization": "Organisation",
    "locations": "Places",
    "contacts": "Contacts",
    "schedules": "Opening times",
    "closures": "Closures",
    "status": "Status",
    "alert": "Notice",
    "categories": "Categories",
    "needs": "Needs",
    "last_reviewed": "Last checked",
    "needs_review": "Needs checking",
}
