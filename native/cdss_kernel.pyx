# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: embedsignature=True
"""The interaction, duplicate-therapy and allergy kernel of decision support, in Cython.

Same interface and same results as the pure-Python twin `perf/cdss_kernel.py` (its docstring defines the hits);
callers take whichever is in use from `perf` (``from perf import cdss_kernel``), never this module directly.

How it works. `KnowledgeIndex` compiles the knowledge once into C arrays: the interaction partners of every substance
in CSR form (offsets, partner, entry id) and the therapeutic and cross-sensitivity classes of every substance, also
in CSR form, renumbered densely. A call to `check`:

1. copies the drugs into flat C arrays (validating every id), with the GIL since it reads Python objects;
2. links, in C, every substance present to the drugs holding it and every class present to its (drug, substance)
   members, in per-index scratch arrays stamped with a call counter (nothing to clear between calls);
3. walks, for each substance of each new drug, its own occurrences in later drugs (duplicate substance), its CSR
   partners that are present (interaction) and the members of its classes (duplicate class); then the allergens,
   their occurrences and their classes among the new drugs. Occurrence lists run from the last drug to the first,
   so a walk stops at the first drug not after the current one. No drug pair without a common fact costs anything;
4. sorts the raw hits (C structs) and only then builds the Python tuples, one per hit.

Steps 2 and 3 and the sort are ``nogil`` C functions. `check` keeps the GIL (a call is a few microseconds; releasing it would cost
more than it gives); `screen` copies every patient first, then releases the GIL for the whole hospital. The scratch
arrays belong to the index and are taken by one call at a time; a concurrent call gets its own.
"""

from cpython.long cimport PyLong_CheckExact
from cpython.number cimport PyNumber_Index
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.stdlib cimport calloc, free, qsort, realloc
from libc.string cimport memset

INTERACTION = 0
DUPLICATE_SUBSTANCE = 1
DUPLICATE_CLASS = 2
ALLERGY = 3

Hit = tuple[int, int, int, int, int, int]

__all__ = [
    "ALLERGY",
    "DUPLICATE_CLASS",
    "DUPLICATE_SUBSTANCE",
    "INTERACTION",
    "Hit",
    "KnowledgeIndex",
    "check",
    "screen",
]

# A substance id fits int32 (the knowledge base holds thousands, not billions); entry and class ids are int64.
cdef enum:
    MAX_SUBSTANCES = 2147483647


ctypedef struct RawHit:
    int64_t field[6]   # kind, new_drug_index, other_index, ref, substance_of_new_drug, other_substance


ctypedef struct Knowledge:
    Py_ssize_t substance_count
    int32_t* partner_start     # substance_count + 1 offsets into partner / partner_entry
    int32_t* partner
    int64_t* partner_entry
    int32_t* duplicate_start   # substance_count + 1 offsets into duplicate_class
    int32_t* duplicate_class   # dense class numbers, ids in duplicate_class_id
    int64_t* duplicate_class_id
    Py_ssize_t duplicate_class_count
    int32_t* allergy_start
    int32_t* allergy_class
    int64_t* allergy_class_id
    Py_ssize_t allergy_class_count
    Py_ssize_t most_classes    # the most duplicate + allergy classes of one substance: bounds the class nodes


ctypedef struct IntVec:
    int32_t* data
    Py_ssize_t size
    Py_ssize_t capacity


ctypedef struct Workspace:
    uint32_t stamp
    # Per substance / per dense class: the call stamp that makes `head` valid, and the head of its occurrence list.
    uint32_t* substance_stamp
    int32_t* substance_head
    uint32_t* duplicate_stamp
    int32_t* duplicate_head
    uint32_t* allergy_stamp
    int32_t* allergy_head
    # Per call (grown, never shrunk). Drug d's substances are flat[drug_start[d]:drug_start[d + 1]].
    IntVec drug_start
    IntVec flat_substance      # -1 marks a substance the drug repeats
    IntVec flat_drug           # drug index (relative to the patient) of a flat entry
    IntVec flat_next           # next (earlier) occurrence of the same substance, or -1
    IntVec node_flat           # class-membership nodes: the flat entry and the next (earlier) member, or -1
    IntVec node_next
    IntVec allergens
    RawHit* hits
    Py_ssize_t hit_count
    Py_ssize_t hit_capacity


cdef int vec_reserve(IntVec* vec, Py_ssize_t wanted) noexcept nogil:
    cdef Py_ssize_t capacity
    cdef int32_t* data
    if wanted <= vec.capacity:
        return 0
    capacity = vec.capacity * 2 if vec.capacity else 64
    while capacity < wanted:
        capacity *= 2
    data = <int32_t*>realloc(vec.data, capacity * sizeof(int32_t))
    if data == NULL:
        return -1
    vec.data = data
    vec.capacity = capacity
    return 0


cdef inline int vec_push(IntVec* vec, int32_t value) noexcept nogil:
    if vec.size == vec.capacity and vec_reserve(vec, vec.size + 1) < 0:
        return -1
    vec.data[vec.size] = value
    vec.size += 1
    return 0


cdef int emit(Workspace* ws, int64_t kind, int64_t i, int64_t j, int64_t ref, int64_t s, int64_t t) noexcept nogil:
    cdef Py_ssize_t capacity
    cdef RawHit* hits
    cdef int64_t* field
    if ws.hit_count == ws.hit_capacity:
        capacity = ws.hit_capacity * 2 if ws.hit_capacity else 64
        hits = <RawHit*>realloc(ws.hits, capacity * sizeof(RawHit))
        if hits == NULL:
            return -1
        ws.hits = hits
        ws.hit_capacity = capacity
    field = ws.hits[ws.hit_count].field
    field[0] = kind
    field[1] = i
    field[2] = j
    field[3] = ref
    field[4] = s
    field[5] = t
    ws.hit_count += 1
    return 0


cdef inline int compare_hits(const void* left, const void* right) noexcept nogil:
    # The fields are only read; Cython's temporaries drop const, so the pointers are plain.
    cdef int64_t* a = (<RawHit*>left).field
    cdef int64_t* b = (<RawHit*>right).field
    cdef int f
    for f in range(6):
        if a[f] != b[f]:
            return -1 if a[f] < b[f] else 1
    return 0


cdef void sort_hits(RawHit* hits, Py_ssize_t count) noexcept nogil:
    """Plain tuple order. A check has a handful of hits: insertion sort, no call per comparison; qsort past 24."""
    cdef Py_ssize_t k, m
    cdef RawHit moving
    if count > 24:
        qsort(hits, count, sizeof(RawHit), compare_hits)
        return
    for k in range(1, count):
        moving = hits[k]
        m = k
        while m > 0 and compare_hits(&hits[m - 1], &moving) > 0:
            hits[m] = hits[m - 1]
            m -= 1
        hits[m] = moving


cdef Workspace* workspace_new(const Knowledge* kb) noexcept nogil:
    cdef Workspace* ws = <Workspace*>calloc(1, sizeof(Workspace))
    if ws == NULL:
        return NULL
    # +1: calloc(0) may return NULL, which would read as a failure.
    ws.substance_stamp = <uint32_t*>calloc(kb.substance_count + 1, sizeof(uint32_t))
    ws.substance_head = <int32_t*>calloc(kb.substance_count + 1, sizeof(int32_t))
    ws.duplicate_stamp = <uint32_t*>calloc(kb.duplicate_class_count + 1, sizeof(uint32_t))
    ws.duplicate_head = <int32_t*>calloc(kb.duplicate_class_count + 1, sizeof(int32_t))
    ws.allergy_stamp = <uint32_t*>calloc(kb.allergy_class_count + 1, sizeof(uint32_t))
    ws.allergy_head = <int32_t*>calloc(kb.allergy_class_count + 1, sizeof(int32_t))
    if (ws.substance_stamp == NULL or ws.substance_head == NULL or ws.duplicate_stamp == NULL
            or ws.duplicate_head == NULL or ws.allergy_stamp == NULL or ws.allergy_head == NULL):
        workspace_free(ws)
        return NULL
    return ws


cdef void workspace_free(Workspace* ws) noexcept nogil:
    if ws == NULL:
        return
    free(ws.substance_stamp)
    free(ws.substance_head)
    free(ws.duplicate_stamp)
    free(ws.duplicate_head)
    free(ws.allergy_stamp)
    free(ws.allergy_head)
    free(ws.drug_start.data)
    free(ws.flat_substance.data)
    free(ws.flat_drug.data)
    free(ws.flat_next.data)
    free(ws.node_flat.data)
    free(ws.node_next.data)
    free(ws.allergens.data)
    free(ws.hits)
    free(ws)


cdef void workspace_clear(Workspace* ws) noexcept nogil:
    ws.drug_start.size = 0
    ws.flat_substance.size = 0
    ws.allergens.size = 0
    ws.hit_count = 0


cdef void next_stamp(const Knowledge* kb, Workspace* ws) noexcept nogil:
    ws.stamp += 1
    if ws.stamp == 0:  # wrapped after 2**32 patients: forget every old stamp once
        memset(ws.substance_stamp, 0, kb.substance_count * sizeof(uint32_t))
        memset(ws.duplicate_stamp, 0, kb.duplicate_class_count * sizeof(uint32_t))
        memset(ws.allergy_stamp, 0, kb.allergy_class_count * sizeof(uint32_t))
        ws.stamp = 1


cdef inline void link_class(Workspace* ws, uint32_t* stamps, int32_t* heads, int32_t klass, int32_t flat) noexcept nogil:
    # Room reserved by check_patient (at most most_classes nodes per flat entry).
    cdef int32_t node = <int32_t>ws.node_flat.size
    ws.node_flat.data[node] = flat
    if stamps[klass] == ws.stamp:
        ws.node_next.data[node] = heads[klass]
    else:
        stamps[klass] = ws.stamp
        ws.node_next.data[node] = -1
    heads[klass] = node
    ws.node_flat.size = node + 1


cdef int check_patient(
    const Knowledge* kb,
    Workspace* ws,
    Py_ssize_t first_drug,
    Py_ssize_t end_drug,
    Py_ssize_t new_count,
    Py_ssize_t first_allergen,
    Py_ssize_t end_allergen,
) noexcept nogil:
    """Append the hits of one patient (drugs first_drug..end_drug, the first new_count of them new) to ws.hits.

    Returns -1 when memory runs out.
    """
    cdef int32_t* drug_start = ws.drug_start.data
    cdef int32_t* flat_substance = ws.flat_substance.data
    cdef int32_t* flat_drug
    cdef int32_t* flat_next
    cdef int32_t* node_flat
    cdef int32_t* node_next
    cdef uint32_t* substance_stamp = ws.substance_stamp
    cdef int32_t* substance_head = ws.substance_head
    cdef uint32_t stamp
    cdef Py_ssize_t d, f, q, p, a, new_end, nodes
    cdef int32_t i, j, s, t, klass, o, g
    cdef Py_ssize_t first_hit = ws.hit_count

    next_stamp(kb, ws)
    stamp = ws.stamp
    flat_drug = ws.flat_drug.data
    flat_next = ws.flat_next.data
    ws.node_flat.size = 0
    new_end = drug_start[first_drug + new_count]
    nodes = (drug_start[end_drug] - drug_start[first_drug]) * kb.most_classes
    if vec_reserve(&ws.node_flat, nodes) < 0 or vec_reserve(&ws.node_next, nodes) < 0:
        return -1

    # Link every occurrence of a substance (newest first) and every member of a class present.
    for d in range(first_drug, end_drug):
        j = <int32_t>(d - first_drug)
        for f in range(drug_start[d], drug_start[d + 1]):
            s = flat_substance[f]
            if substance_stamp[s] == stamp:
                if flat_drug[substance_head[s]] == j:
                    flat_substance[f] = -1  # the drug repeats this substance
                    continue
                flat_next[f] = substance_head[s]
            else:
                substance_stamp[s] = stamp
                flat_next[f] = -1
            substance_head[s] = <int32_t>f
            flat_drug[f] = j
            for q in range(kb.duplicate_start[s], kb.duplicate_start[s + 1]):
                link_class(ws, ws.duplicate_stamp, ws.duplicate_head, kb.duplicate_class[q], <int32_t>f)
            if f < new_end:
                for q in range(kb.allergy_start[s], kb.allergy_start[s + 1]):
                    link_class(ws, ws.allergy_stamp, ws.allergy_head, kb.allergy_class[q], <int32_t>f)
    node_flat = ws.node_flat.data
    node_next = ws.node_next.data

    for d in range(first_drug, first_drug + new_count):
        i = <int32_t>(d - first_drug)
        for f in range(drug_start[d], drug_start[d + 1]):
            s = flat_substance[f]
            if s < 0:
                continue
            o = substance_head[s]
            while o >= 0 and flat_drug[o] > i:
                if emit(ws, 1, i, flat_drug[o], s, s, s) < 0:
                    return -1
                o = flat_next[o]
            for p in range(kb.partner_start[s], kb.partner_start[s + 1]):
                t = kb.partner[p]
                if substance_stamp[t] == stamp:
                    o = substance_head[t]
                    while o >= 0 and flat_drug[o] > i:
                        if emit(ws, 0, i, flat_drug[o], kb.partner_entry[p], s, t) < 0:
                            return -1
                        o = flat_next[o]
            for q in range(kb.duplicate_start[s], kb.duplicate_start[s + 1]):
                klass = kb.duplicate_class[q]
                o = ws.duplicate_head[klass]
                while o >= 0 and flat_drug[node_flat[o]] > i:
                    t = flat_substance[node_flat[o]]
                    if t != s and emit(ws, 2, i, flat_drug[node_flat[o]], kb.duplicate_class_id[klass], s, t) < 0:
                        return -1
                    o = node_next[o]

    for a in range(first_allergen, end_allergen):
        g = ws.allergens.data[a]
        if substance_stamp[g] == stamp:
            o = substance_head[g]
            while o >= 0:
                if flat_drug[o] < new_count and emit(ws, 3, flat_drug[o], a - first_allergen, -1, g, g) < 0:
                    return -1
                o = flat_next[o]
        for q in range(kb.allergy_start[g], kb.allergy_start[g + 1]):
            klass = kb.allergy_class[q]
            if ws.allergy_stamp[klass] != stamp:
                continue
            o = ws.allergy_head[klass]
            while o >= 0:
                s = flat_substance[node_flat[o]]
                if s != g and emit(ws, 3, flat_drug[node_flat[o]], a - first_allergen, kb.allergy_class_id[klass], s, g) < 0:
                    return -1
                o = node_next[o]

    sort_hits(&ws.hits[first_hit], ws.hit_count - first_hit)
    return 0


cdef inline int32_t substance_id(object value, Py_ssize_t count, str what) except -1:
    """The substance id `value` as a C int, or ValueError when out of range (TypeError when not an integer).

    An exact int goes through Cython's inline conversion (no call); a value past int64 raises OverflowError there,
    which the loading functions report as out of range. Anything else must be an integer (__index__), as for the
    twin, which indexes tuples with it.
    """
    cdef int64_t number
    if PyLong_CheckExact(value):
        number = value
    else:
        number = PyNumber_Index(value)
    if number < 0 or number >= count:
        raise ValueError(f"{what}: substance id {value} out of range 0..{count - 1}")
    return <int32_t>number


cdef Py_ssize_t load_drugs(const Knowledge* kb, Workspace* ws, object drugs) except -1:
    """Append the drugs to ws (flat substances, drug starts); returns how many."""
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t n = kb.substance_count
    cdef object drug, substance
    try:
        for drug in drugs:
            if vec_push(&ws.drug_start, <int32_t>ws.flat_substance.size) < 0:
                raise MemoryError()
            for substance in drug:
                if vec_push(&ws.flat_substance, substance_id(substance, n, "drug")) < 0:
                    raise MemoryError()
            count += 1
    except OverflowError:  # an integer past int64 (substance_id)
        raise ValueError(f"drug: substance id out of range 0..{n - 1}") from None
    return count


cdef int load_allergies(const Knowledge* kb, Workspace* ws, object allergies) except -1:
    cdef object allergen
    try:
        for allergen in allergies:
            if vec_push(&ws.allergens, substance_id(allergen, kb.substance_count, "allergy")) < 0:
                raise MemoryError()
    except OverflowError:
        raise ValueError(f"allergy: substance id out of range 0..{kb.substance_count - 1}") from None
    return 0


cdef int finish_loading(Workspace* ws) except -1:
    """Close the last drug and size the per-entry arrays."""
    if (vec_push(&ws.drug_start, <int32_t>ws.flat_substance.size) < 0
            or vec_reserve(&ws.flat_drug, ws.flat_substance.size) < 0
            or vec_reserve(&ws.flat_next, ws.flat_substance.size) < 0):
        raise MemoryError()
    ws.drug_start.size -= 1  # keep the end sentinel out of the count, but in memory
    return 0


cdef list hits_to_list(RawHit* hits, Py_ssize_t count):
    cdef list out = []
    cdef Py_ssize_t h
    cdef int64_t* f
    for h in range(count):
        f = hits[h].field
        out.append((f[0], f[1], f[2], f[3], f[4], f[5]))
    return out


def _class_table(str name, object per_substance, Py_ssize_t substance_count):
    """Per substance: its sorted unique class ids (validated), as the twin's."""
    if len(per_substance) != substance_count:
        raise ValueError(
            f"{name} has {len(per_substance)} rows, expected one per substance ({substance_count})"
        )
    table = []
    for classes in per_substance:
        unique = sorted({PyNumber_Index(c) for c in classes})
        if unique and unique[0] < 0:
            raise ValueError(f"{name}: class ids must be >= 0, got {unique[0]}")
        table.append(unique)
    return table


cdef class KnowledgeIndex:
    """The compiled knowledge the kernel checks against, built once per knowledge version (see the twin)."""

    cdef Knowledge kb
    cdef Workspace* workspace
    cdef bint workspace_taken
    cdef readonly Py_ssize_t substance_count

    def __init__(self, substance_count, interactions, duplicate_classes, allergy_classes):
        cdef Py_ssize_t count = PyNumber_Index(substance_count)
        if count < 0 or count > MAX_SUBSTANCES:
            raise ValueError(f"substance_count must be in 0..{MAX_SUBSTANCES}, got {count}")
        if self.workspace != NULL:
            raise TypeError("KnowledgeIndex is built once")
        partners = [[] for _ in range(count)]
        for a_raw, b_raw, entry_raw in interactions:
            a, b, entry = PyNumber_Index(a_raw), PyNumber_Index(b_raw), PyNumber_Index(entry_raw)
            if not (0 <= a < count and 0 <= b < count):
                raise ValueError(f"interaction ({a}, {b}): substance id out of range 0..{count - 1}")
            if a == b:
                raise ValueError(f"interaction ({a}, {b}): a substance cannot interact with itself")
            if not 0 <= entry <= 0x7FFFFFFFFFFFFFFF:
                raise ValueError(f"interaction ({a}, {b}): entry id must be >= 0 (int64), got {entry}")
            partners[a].append((b, entry))
            partners[b].append((a, entry))
        for a in range(count):
            partners[a].sort()
            for k in range(1, len(partners[a])):
                if partners[a][k][0] == partners[a][k - 1][0]:
                    raise ValueError(f"interaction ({a}, {partners[a][k][0]}) is listed twice")
        duplicate = _class_table("duplicate_classes", duplicate_classes, count)
        allergy = _class_table("allergy_classes", allergy_classes, count)
        for row in (*duplicate, *allergy):
            if row and row[len(row) - 1] > 0x7FFFFFFFFFFFFFFF:
                raise ValueError(f"class id {row[len(row) - 1]} does not fit int64")

        self.substance_count = count
        self.kb.substance_count = count
        self._fill_partners(partners)
        self.kb.duplicate_class_count = self._fill_classes(
            duplicate, &self.kb.duplicate_start, &self.kb.duplicate_class, &self.kb.duplicate_class_id
        )
        self.kb.allergy_class_count = self._fill_classes(
            allergy, &self.kb.allergy_start, &self.kb.allergy_class, &self.kb.allergy_class_id
        )
        self.kb.most_classes = max(
            [len(duplicate[a]) + len(allergy[a]) for a in range(count)], default=0
        )
        self.workspace = workspace_new(&self.kb)
        if self.workspace == NULL:
            raise MemoryError()

    cdef void _fill_partners(self, list partners) except *:
        cdef Py_ssize_t count = len(partners)
        cdef Py_ssize_t total = sum(len(row) for row in partners)
        cdef Py_ssize_t a, position = 0
        self.kb.partner_start = <int32_t*>calloc(count + 1, sizeof(int32_t))
        self.kb.partner = <int32_t*>calloc(total + 1, sizeof(int32_t))
        self.kb.partner_entry = <int64_t*>calloc(total + 1, sizeof(int64_t))
        if self.kb.partner_start == NULL or self.kb.partner == NULL or self.kb.partner_entry == NULL:
            raise MemoryError()
        for a in range(count):
            self.kb.partner_start[a] = <int32_t>position
            for partner, entry in partners[a]:
                self.kb.partner[position] = partner
                self.kb.partner_entry[position] = entry
                position += 1
        self.kb.partner_start[count] = <int32_t>position

    cdef Py_ssize_t _fill_classes(
        self, list table, int32_t** start, int32_t** dense, int64_t** class_id
    ) except -1:
        cdef Py_ssize_t count = len(table)
        cdef Py_ssize_t total = sum(len(row) for row in table)
        cdef Py_ssize_t a, position = 0
        ids = sorted({klass for row in table for klass in row})
        number = {klass: k for k, klass in enumerate(ids)}
        start[0] = <int32_t*>calloc(count + 1, sizeof(int32_t))
        dense[0] = <int32_t*>calloc(total + 1, sizeof(int32_t))
        class_id[0] = <int64_t*>calloc(len(ids) + 1, sizeof(int64_t))
        if start[0] == NULL or dense[0] == NULL or class_id[0] == NULL:
            raise MemoryError()
        for a in range(len(ids)):
            class_id[0][a] = ids[a]
        for a in range(count):
            start[0][a] = <int32_t>position
            for klass in table[a]:
                dense[0][position] = number[klass]
                position += 1
        start[0][count] = <int32_t>position
        return len(ids)

    def __dealloc__(self):
        free(self.kb.partner_start)
        free(self.kb.partner)
        free(self.kb.partner_entry)
        free(self.kb.duplicate_start)
        free(self.kb.duplicate_class)
        free(self.kb.duplicate_class_id)
        free(self.kb.allergy_start)
        free(self.kb.allergy_class)
        free(self.kb.allergy_class_id)
        workspace_free(self.workspace)

    cdef Workspace* take_workspace(self) except NULL:
        cdef Workspace* ws
        if self.workspace == NULL:
            raise ValueError("KnowledgeIndex was not initialised")
        if not self.workspace_taken:
            self.workspace_taken = True
            ws = self.workspace
        else:
            ws = workspace_new(&self.kb)  # another thread is inside a call: its own scratch
            if ws == NULL:
                raise MemoryError()
        workspace_clear(ws)
        return ws

    cdef void give_back(self, Workspace* ws) noexcept:
        if ws == self.workspace:
            self.workspace_taken = False
        else:
            workspace_free(ws)


def check(KnowledgeIndex index not None, new, active, allergies):
    """Every hit between the new drugs, the new and the active drugs, and the new drugs and the allergies."""
    cdef Workspace* ws = index.take_workspace()
    cdef Py_ssize_t new_count, drug_count
    try:
        new_count = load_drugs(&index.kb, ws, new)
        drug_count = new_count + load_drugs(&index.kb, ws, active)
        finish_loading(ws)
        load_allergies(&index.kb, ws, allergies)
        if check_patient(&index.kb, ws, 0, drug_count, new_count, 0, ws.allergens.size) < 0:
            raise MemoryError()
        return hits_to_list(ws.hits, ws.hit_count)
    finally:
        index.give_back(ws)


def screen(KnowledgeIndex index not None, patients):
    """Whole-hospital screening: every patient's active drugs checked against each other (no allergies)."""
    cdef Workspace* ws = index.take_workspace()
    cdef IntVec patient_start   # per patient: its first drug; then per patient: its first hit
    cdef Py_ssize_t p, first, end, patient_count = 0, failed = 0
    cdef list out = []
    patient_start.data = NULL
    patient_start.size = 0
    patient_start.capacity = 0
    try:
        for drugs in patients:
            if vec_push(&patient_start, <int32_t>ws.drug_start.size) < 0:
                raise MemoryError()
            load_drugs(&index.kb, ws, drugs)
            patient_count += 1
        if vec_push(&patient_start, <int32_t>ws.drug_start.size) < 0:
            raise MemoryError()
        finish_loading(ws)
        with nogil:
            for p in range(patient_count):
                first = patient_start.data[p]
                end = patient_start.data[p + 1]
                patient_start.data[p] = <int32_t>ws.hit_count
                if check_patient(&index.kb, ws, first, end, end - first, 0, 0) < 0:
                    failed = 1
                    break
            patient_start.data[patient_count] = <int32_t>ws.hit_count
        if failed:
            raise MemoryError()
        for p in range(patient_count):
            out.append(hits_to_list(&ws.hits[patient_start.data[p]], patient_start.data[p + 1] - patient_start.data[p]))
        return out
    finally:
        free(patient_start.data)
        index.give_back(ws)
