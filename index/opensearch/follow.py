"""Documents kept in step with what changes in place in the archive: reuse found after a passage was sent
(a later import holds it too) and reports corrected or reclassified.

A document copies values from the archive that can change after it was
sent: its report's title, year, kind and author, its section type, and how
many other reports hold it (``reused``, what hiding boilerplate filters on).
The archive says which changed, so nothing is guessed or rescanned: reuse
moves with ``reused.mark`` (``reused.changed`` names the passages whose
count moved between two marks: the new reused ones and the earlier ones
they match), or all at once in a new ``reused.epoch``; edited reports are
listed by ``Store.edited_reports``. An index's ``_meta`` records the state
its documents reflect (``archive_state``); a sync sends again, whole, the
passages whose indexed count differs among those named, and every passage
of the reports edited since, then records the new state.

Whole documents, because an OpenSearch update rebuilds a document from its
``_source``, which leaves out the analysed ``chars`` and ``words``. The
alternative, a query-time list of the ids to hide, would send up to every
reused passage's id with each search (more than a ``terms`` query takes at
a few hundred thousand passages) and needs the record beside every web
host; here the cluster alone answers. Re-sending costs jieba on the earlier
passages an import reuses; counts are stored up to ``REUSE_CAP``, where
every ``hide_common`` hides a passage, so the most common boilerplate
stops being sent again. The state is written after the documents: a sync
killed in between sends them again (sending is idempotent), and
``catch_up`` and ``check`` see an index behind the archive. A copy of the
record older than the index (a web host's backup) is never ahead of it, so
it never sends older values.
"""

from __future__ import annotations

from archive import reused
from archive.store import Store

from ..api import MAX_HIDE_COMMON
from .cluster import Target, answered, index_meta, stream

#: Reuse counts are stored up to this: a passage held by this many other reports is hidden at every
#: ``hide_common`` the API takes, so one held by ever more reports need not be sent again for each.
REUSE_CAP = MAX_HIDE_COMMON - 1
#: Documents whose counts are read back per request.
CHUNK = 1000


def archive_state(store: Store) -> dict:
    """How far the archive's changes in place have gone: the reuse epoch and mark, the last report edit."""
    return {"reuse_epoch": reused.epoch(store), "reuse_mark": reused.mark(store), "last_edit": store.last_edit()}


def followed(meta: dict) -> dict:
    """The archive state an index's ``_meta`` records (a key it lacks: never followed)."""
    return {"reuse_epoch": meta.get("reuse_epoch", -1), "reuse_mark": meta.get("reuse_mark", 0),
            "last_edit": meta.get("last_edit", 0)}


def counts_behind(held: dict, now: dict) -> bool:
    """Whether reuse counts moved after the documents were sent (a later mark, or a new epoch)."""
    return (now["reuse_epoch"], now["reuse_mark"]) > (held["reuse_epoch"], held["reuse_mark"])


def edits_behind(held: dict, now: dict) -> bool:
    return now["last_edit"] > held["last_edit"]


def stale(es, index: str, store: Store) -> bool:
    """Whether the archive changed in place after the index's documents were sent."""
    held, now = followed(index_meta(es, index)), archive_state(store)
    return counts_behind(held, now) or edits_behind(held, now)


def indexed_counts(es, index: str, ids: list[int], target: Target) -> dict[int, int]:
    """The reuse count each of these documents holds (documents the index lacks are absent)."""
    out: dict[int, int] = {}
    for i in range(0, len(ids), CHUNK):
        part = [str(pid) for pid in ids[i:i + CHUNK]]
        answer = es.search(index=index, body={"query": {"ids": {"values": part}}, "size": len(part),
                                              "_source": ["reused"]})
        out.update((int(h["_id"]), h["_source"].get("reused", 0)) for h in answered(answer, target)["hits"]["hits"])
    return out


def moved_counts(es, index: str, store: Store, held: dict, now: dict, target: Target) -> set[int]:
    """Passages whose reuse count in the index is not the archive's: among those ``reused.changed`` names
    since the index's mark, or in a new epoch (every match found again) among every passage reused in the
    archive or in the index."""
    if now["reuse_epoch"] == held["reuse_epoch"]:
        truth = dict(reused.changed(store, held["reuse_mark"], now["reuse_mark"]))
        indexed = indexed_counts(es, index, sorted(truth), target)
    else:
        truth = dict(reused.counts(store, 0, store.max_passage_id()))
        body = {"query": {"range": {"reused": {"gt": 0}}}, "sort": [{"pid": "asc"}], "_source": False,
                "docvalue_fields": ["reused"]}
        indexed = {int(h["_id"]): h["fields"]["reused"][0] for h in stream(es, index, body, target)}
        indexed |= indexed_counts(es, index, sorted(truth.keys() - indexed.keys()), target)
    return {pid for pid in truth.keys() | indexed.keys() if min(truth.get(pid, 0), REUSE_CAP) != indexed.get(pid)}


def plan(es, index: str, store: Store, target: Target) -> tuple[dict, dict, list[int]]:
    """(the state the index follows, the state to record once the passages are sent, the passages to send
    again, ascending)."""
    held, now = followed(index_meta(es, index)), archive_state(store)
    state, again = dict(held), set()
    if counts_behind(held, now):
        again |= moved_counts(es, index, store, held, now, target)
        state.update(reuse_epoch=now["reuse_epoch"], reuse_mark=now["reuse_mark"])
    if edits_behind(held, now):
        again.update(store.report_passage_ids(store.edited_reports(held["last_edit"])[1]))
        state["last_edit"] = now["last_edit"]
    return held, state, sorted(again)
