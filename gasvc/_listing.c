/* gasvc._listing: one folder's entries with their stat, in index order, in native code.
 *
 * `gas status` stats every file of the working tree; from Python that costs ~2.5 us a file
 * (scandir entry, stat_result, tuple), which on 100,000 files is more than git's whole status.
 * Here the directory read and the stat calls run without the GIL (so threads overlap them)
 * and only the result tuples are built in Python objects. gasvc/workspace/scan.py has the
 * same function in Python, used when this module was not built; tests check both agree.
 *
 * list_dir(path) -> [(key, size, mtime_ns, ino), ...]
 *   key is the entry's name for a regular file (a symlink to one counts, with the target's
 *   stat) and name + "/" for a sub-folder (not followed through symlinks; size, mtime and
 *   inode are 0); other entries are left out. Sorted by key in code-point order, which is the
 *   byte order of the UTF-8 (or surrogate-escaped) names. A missing folder gives [].
 *
 * list_dir_unless(path, top, digest) -> (the rows of scan.list_folder(path, top), their digest)
 *   (`.gas` entries left out, and at a segment's top its metadata.jsonl), or None when their
 *   digest is `digest`: a folder listed as recorded costs no Python object at all.
 * rows_digest(rows) -> the digest of such rows (see digest_row): b"g" and two 64-bit sums of
 *   hashes of the rows, so that it does not depend on their order: a folder is sorted only when
 *   its rows are handed out. Not cryptographic: it tells a folder's listing from the one
 *   recorded.
 *
 * Packed rows: per row its name's bytes, a NUL, and its size, mtime and inode (8 bytes each,
 * little-endian): how a folder's listing is recorded, and compared, without a Python object per
 * row. Names live in one buffer per folder (no allocation per entry).
 * list_folders([(path, top, digest), ...], threads) -> per folder, what list_dir_unless says,
 *   but its rows packed: None (listed as `digest`), (packed rows, digest), or False when the
 *   folder itself is a symbolic link (not listed). The folders are listed by `threads` native
 *   threads, all without the GIL.
 * pack_rows(rows) -> (packed rows, rows_digest(rows)).
 * differing(old, new) -> (names, rows) of two packed listings: the names whose rows differ
 *   (in either, or in both with other stats) and the rows of `new` among them; None when a
 *   listing is not in sorted order (the caller compares them by set).
 *
 * And one helper of the same hot path, for a segment's changed `metadata.jsonl`:
 * aligned_lines(text, recorded) -> [(index, line, recorded line), ...] of the lines that differ
 *   between `text` and `recorded` (UTF-8 bytes), split at "\n", when both have as many lines
 *   (`text` may end with one more "\n"; an empty `recorded` has none); None when they do not,
 *   or when `text` cannot be encoded as UTF-8.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name;  /* in the listing's arena, once the listing is complete */
    size_t offset;     /* of the name in the arena */
    size_t length;     /* of the name, plus "/" for a folder */
    long long size;
    long long mtime_ns;
    unsigned long long ino;
} Item;

typedef struct {
    Item *items;
    size_t count;
    size_t capacity;
    char *arena;     /* every name, one after the other */
    size_t used;
    size_t room;
    int error;       /* errno of a failure that must reach Python, else 0 */
} Listing;

static void listing_free(Listing *listing) {
    free(listing->items);
    free(listing->arena);
}

static int listing_push(Listing *listing, const char *name, size_t length, int folder,
                        long long size, long long mtime_ns, unsigned long long ino) {
    if (listing->count == listing->capacity) {
        size_t capacity = listing->capacity ? listing->capacity * 2 : 64;
        Item *grown = realloc(listing->items, capacity * sizeof(Item));
        if (grown == NULL) return -1;
        listing->items = grown;
        listing->capacity = capacity;
    }
    if (listing->used + length + 1 > listing->room) {
        size_t room = listing->room ? listing->room * 2 : 4096;
        while (room < listing->used + length + 1) room *= 2;
        char *grown = realloc(listing->arena, room);
        if (grown == NULL) return -1;
        listing->arena = grown;
        listing->room = room;
    }
    Item *item = &listing->items[listing->count++];
    item->name = NULL;
    item->offset = listing->used;
    memcpy(listing->arena + listing->used, name, length);
    if (folder) listing->arena[listing->used + length++] = '/';
    listing->used += length;
    item->length = length;
    item->size = folder ? 0 : size;
    item->mtime_ns = folder ? 0 : mtime_ns;
    item->ino = folder ? 0 : ino;
    return 0;
}

/* Point each item at its name (the arena moves no more). */
static void listing_complete(Listing *listing) {
    for (size_t i = 0; i < listing->count; i++) {
        listing->items[i].name = listing->arena + listing->items[i].offset;
    }
}

/* Classify one entry: 1 file, 2 folder, 0 skip (vanished, or neither). */
static int classify(int dir_fd, const char *name, struct stat *st) {
    if (fstatat(dir_fd, name, st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    if (S_ISDIR(st->st_mode)) return 2;
    if (S_ISLNK(st->st_mode) && fstatat(dir_fd, name, st, 0) != 0) return 0;
    return S_ISREG(st->st_mode) ? 1 : 0;
}

static int compare_items(const void *a, const void *b) {
    const Item *left = a, *right = b;
    size_t shorter = left->length < right->length ? left->length : right->length;
    int order = memcmp(left->name, right->name, shorter);
    if (order != 0) return order;
    return (left->length > right->length) - (left->length < right->length);
}

/* In key order: only for rows handed out (a digest does not depend on the order). */
static void listing_sort(Listing *listing) {
    if (listing->count > 1) qsort(listing->items, listing->count, sizeof(Item), compare_items);
}

/* Read the folder into `listing`, in the directory's order; runs without the GIL. */
static void read_folder(const char *path, Listing *listing) {
    DIR *dir = opendir(path);
    if (dir == NULL) {
        if (errno != ENOENT && errno != ENOTDIR) listing->error = errno;
        return;
    }
    int dir_fd = dirfd(dir);
    struct dirent *entry;
    struct stat st;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        int kind = classify(dir_fd, name, &st);
        if (kind && listing_push(listing, name, strlen(name), kind == 2, (long long)st.st_size,
                                 (long long)st.st_mtim.tv_sec * 1000000000LL
                                 + st.st_mtim.tv_nsec,
                                 (unsigned long long)st.st_ino) != 0) {
            listing->error = ENOMEM;
            break;
        }
        errno = 0;
    }
    if (!listing->error && errno != 0) listing->error = errno;
    closedir(dir);
    listing_complete(listing);
}

/* Leave out what scan.list_folder leaves out: `.gas` in any case (file or folder), and at a
 * segment's top its metadata.jsonl. */
static void filter(Listing *listing, int top) {
    size_t kept = 0;
    for (size_t i = 0; i < listing->count; i++) {
        Item *item = &listing->items[i];
        size_t bare = item->length - (item->name[item->length - 1] == '/');
        int gas = bare == 4 && strncasecmp(item->name, ".gas", 4) == 0;
        int labels = top && item->length == 14 && memcmp(item->name, "metadata.jsonl", 14) == 0;
        if (!gas && !labels) listing->items[kept++] = *item;
    }
    listing->count = kept;
}

/* The digest: "g" and two 64-bit sums, over the rows, of two hashes of each row (its name
 * 8 bytes at a time, its length, size, mtime and inode, each step mixed). Sums, so the rows'
 * order does not matter (names are unique in a folder): a clean folder is never sorted. */
typedef struct {
    unsigned long long first, second;
} Digest;

#define DIGEST_SIZE 17

static unsigned long long mix_first(unsigned long long x) {  /* splitmix64's finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static unsigned long long mix_second(unsigned long long x) {  /* murmur3's finalizer */
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void digest_row(Digest *digest, const char *name, size_t length, long long size,
                       long long mtime_ns, unsigned long long ino) {
    unsigned long long first = 0x9e3779b97f4a7c15ULL ^ length;
    unsigned long long second = 0x6a09e667f3bcc909ULL + length;
    for (size_t at = 0; at < length; at += 8) {
        unsigned long long word = 0;
        memcpy(&word, name + at, length - at < 8 ? length - at : 8);
        first = mix_first(first ^ word);
        second = mix_second(second + word);
    }
    unsigned long long numbers[3] = {(unsigned long long)size, (unsigned long long)mtime_ns, ino};
    for (int i = 0; i < 3; i++) {
        first = mix_first(first ^ numbers[i]);
        second = mix_second(second + numbers[i]);
    }
    digest->first += first;
    digest->second += second;
}

static void digest_start(Digest *digest) {
    digest->first = 0;
    digest->second = 0;
}

static void digest_out(const Digest *digest, unsigned char *out) {
    out[0] = 'g';
    for (int i = 0; i < 8; i++) {
        out[1 + i] = (unsigned char)(digest->first >> (8 * i));
        out[9 + i] = (unsigned char)(digest->second >> (8 * i));
    }
}

static void digest_listing(const Listing *listing, unsigned char *out) {
    Digest digest;
    digest_start(&digest);
    for (size_t i = 0; i < listing->count; i++) {
        const Item *item = &listing->items[i];
        digest_row(&digest, item->name, item->length, item->size, item->mtime_ns, item->ino);
    }
    digest_out(&digest, out);
}

static PyObject *to_python(const Listing *listing) {
    PyObject *result = PyList_New((Py_ssize_t)listing->count);
    if (result == NULL) return NULL;
    for (size_t i = 0; i < listing->count; i++) {
        const Item *item = &listing->items[i];
        PyObject *key = PyUnicode_DecodeFSDefaultAndSize(item->name, (Py_ssize_t)item->length);
        PyObject *row = key ? Py_BuildValue("(NLLK)", key, item->size, item->mtime_ns,
                                            item->ino) : NULL;
        if (row == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)i, row);
    }
    return result;
}

static PyObject *list_dir(PyObject *module, PyObject *arg) {
    (void)module;
    PyObject *encoded = NULL;
    if (!PyUnicode_FSConverter(arg, &encoded)) return NULL;
    Listing listing = {0};
    const char *path = PyBytes_AS_STRING(encoded);
    Py_BEGIN_ALLOW_THREADS
    read_folder(path, &listing);
    listing_sort(&listing);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (listing.error == ENOMEM) {
        PyErr_NoMemory();
    } else if (listing.error) {
        errno = listing.error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
    } else {
        result = to_python(&listing);
    }
    listing_free(&listing);
    Py_DECREF(encoded);
    return result;
}

static PyObject *list_dir_unless(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *path_arg, *encoded = NULL;
    int top;
    const char *known = NULL;
    Py_ssize_t known_length = 0;
    if (!PyArg_ParseTuple(args, "Opz#", &path_arg, &top, &known, &known_length)) return NULL;
    if (!PyUnicode_FSConverter(path_arg, &encoded)) return NULL;
    Listing listing = {0};
    unsigned char found[DIGEST_SIZE];
    const char *path = PyBytes_AS_STRING(encoded);
    int same = 0;
    Py_BEGIN_ALLOW_THREADS
    read_folder(path, &listing);
    if (!listing.error) {
        filter(&listing, top);
        digest_listing(&listing, found);
        same = known != NULL && known_length == DIGEST_SIZE
               && memcmp(known, found, DIGEST_SIZE) == 0;
        if (!same) listing_sort(&listing);
    }
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (listing.error == ENOMEM) {
        PyErr_NoMemory();
    } else if (listing.error) {
        errno = listing.error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_arg);
    } else if (same) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *rows = to_python(&listing);
        result = rows ? Py_BuildValue("(Ny#)", rows, (const char *)found,
                                      (Py_ssize_t)DIGEST_SIZE) : NULL;
    }
    listing_free(&listing);
    Py_DECREF(encoded);
    return result;
}

static PyObject *rows_digest(PyObject *module, PyObject *rows) {
    (void)module;
    PyObject *iterator = PyObject_GetIter(rows);
    if (iterator == NULL) return NULL;
    Digest digest;
    digest_start(&digest);
    PyObject *row;
    while ((row = PyIter_Next(iterator)) != NULL) {
        PyObject *key;
        long long size, mtime_ns;
        unsigned long long ino;
        if (!PyArg_ParseTuple(row, "ULLK", &key, &size, &mtime_ns, &ino)) {
            Py_DECREF(row);
            Py_DECREF(iterator);
            return NULL;
        }
        PyObject *name = PyUnicode_EncodeFSDefault(key);
        Py_DECREF(row);
        if (name == NULL) {
            Py_DECREF(iterator);
            return NULL;
        }
        digest_row(&digest, PyBytes_AS_STRING(name), (size_t)PyBytes_GET_SIZE(name), size,
                   mtime_ns, ino);
        Py_DECREF(name);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return NULL;
    unsigned char out[DIGEST_SIZE];
    digest_out(&digest, out);
    return PyBytes_FromStringAndSize((const char *)out, DIGEST_SIZE);
}

/* Packed rows ---------------------------------------------------------------------------- */

#define STATS_SIZE 24  /* size, mtime_ns, inode: 8 bytes each, little-endian */

static size_t packed_size(const Listing *listing) {
    size_t total = 0;
    for (size_t i = 0; i < listing->count; i++) total += listing->items[i].length + 1 + STATS_SIZE;
    return total;
}

static char *put_number(char *out, unsigned long long value) {
    for (int i = 0; i < 8; i++) *out++ = (char)(unsigned char)(value >> (8 * i));
    return out;
}

static unsigned long long get_number(const unsigned char *in) {
    unsigned long long value = 0;
    for (int i = 7; i >= 0; i--) value = (value << 8) | in[i];
    return value;
}

static PyObject *packed_bytes(const Listing *listing) {
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)packed_size(listing));
    if (result == NULL) return NULL;
    char *out = PyBytes_AS_STRING(result);
    for (size_t i = 0; i < listing->count; i++) {
        const Item *item = &listing->items[i];
        memcpy(out, item->name, item->length);
        out += item->length;
        *out++ = '\0';
        out = put_number(out, (unsigned long long)item->size);
        out = put_number(out, (unsigned long long)item->mtime_ns);
        out = put_number(out, item->ino);
    }
    return result;
}

/* Several folders, listed by native threads ---------------------------------------------- */

typedef struct {
    const char *path;      /* owned by `encoded` */
    PyObject *encoded;
    PyObject *source;      /* the item, for its path in an error */
    int top;
    const char *known;     /* the recorded digest (owned by `source`), or NULL */
    Py_ssize_t known_length;
    int link;              /* the folder is a symbolic link: not listed */
    int same;              /* listed as `known` says */
    Listing listing;
    unsigned char digest[DIGEST_SIZE];
} Job;

typedef struct {
    Job *jobs;
    size_t count;
    size_t next;
} Batch;

static void run_job(Job *job) {
    size_t length = strlen(job->path);
    while (length > 1 && job->path[length - 1] == '/') length--;
    char *bare = malloc(length + 1);
    if (bare == NULL) {
        job->listing.error = ENOMEM;
        return;
    }
    memcpy(bare, job->path, length);
    bare[length] = '\0';
    struct stat st;
    job->link = lstat(bare, &st) == 0 && S_ISLNK(st.st_mode);
    free(bare);
    if (job->link) return;
    read_folder(job->path, &job->listing);
    if (!job->listing.error) {
        filter(&job->listing, job->top);
        digest_listing(&job->listing, job->digest);
        job->same = job->known != NULL && job->known_length == DIGEST_SIZE
                    && memcmp(job->known, job->digest, DIGEST_SIZE) == 0;
        if (!job->same) listing_sort(&job->listing);
    }
}

static void *work_batch(void *arg) {
    Batch *batch = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&batch->next, 1, __ATOMIC_RELAXED);
        if (i >= batch->count) break;
        run_job(&batch->jobs[i]);
    }
    return NULL;
}

static void run_batch(Batch *batch, int threads) {
    pthread_t ids[16];
    int started = 0;
    if (threads > 16) threads = 16;
    while (started < threads - 1 && (size_t)started + 1 < batch->count) {
        if (pthread_create(&ids[started], NULL, work_batch, batch) != 0) break;
        started++;
    }
    work_batch(batch);  /* this thread works too; with no thread started, it does it all */
    for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
}

static void free_jobs(Job *jobs, size_t count) {
    for (size_t i = 0; i < count; i++) {
        listing_free(&jobs[i].listing);
        Py_XDECREF(jobs[i].encoded);
        Py_XDECREF(jobs[i].source);
    }
    free(jobs);
}

static PyObject *job_result(Job *job) {
    if (job->link) return Py_NewRef(Py_False);
    if (job->same) return Py_NewRef(Py_None);
    PyObject *rows = packed_bytes(&job->listing);
    return rows ? Py_BuildValue("(Ny#)", rows, (const char *)job->digest,
                                (Py_ssize_t)DIGEST_SIZE) : NULL;
}

static PyObject *list_folders(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *items;
    int threads;
    if (!PyArg_ParseTuple(args, "O!i", &PyList_Type, &items, &threads)) return NULL;
    size_t count = (size_t)PyList_GET_SIZE(items);
    Job *jobs = calloc(count ? count : 1, sizeof(Job));
    if (jobs == NULL) return PyErr_NoMemory();
    for (size_t i = 0; i < count; i++) {
        Job *job = &jobs[i];
        job->source = Py_NewRef(PyList_GET_ITEM(items, (Py_ssize_t)i));
        PyObject *path;
        if (!PyArg_ParseTuple(job->source, "Opz#", &path, &job->top, &job->known,
                              &job->known_length)
            || !PyUnicode_FSConverter(path, &job->encoded)) {
            free_jobs(jobs, i + 1);
            return NULL;
        }
        job->path = PyBytes_AS_STRING(job->encoded);
    }
    Batch batch = {jobs, count, 0};
    Py_BEGIN_ALLOW_THREADS
    run_batch(&batch, threads);
    Py_END_ALLOW_THREADS
    PyObject *result = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; result != NULL && i < count; i++) {
        Job *job = &jobs[i];
        PyObject *found = NULL;
        if (job->listing.error == ENOMEM) {
            PyErr_NoMemory();
        } else if (job->listing.error) {
            errno = job->listing.error;
            PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError,
                                                 PyTuple_GET_ITEM(job->source, 0));
        } else {
            found = job_result(job);
        }
        if (found == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)i, found);
    }
    free_jobs(jobs, count);
    return result;
}

/* Rows given in Python, packed --------------------------------------------------------- */

static PyObject *pack_rows(PyObject *module, PyObject *rows) {
    (void)module;
    PyObject *iterator = PyObject_GetIter(rows);
    if (iterator == NULL) return NULL;
    Listing listing = {0};
    PyObject *row;
    while ((row = PyIter_Next(iterator)) != NULL) {
        PyObject *key, *name = NULL;
        long long size, mtime_ns;
        unsigned long long ino;
        int ok = PyArg_ParseTuple(row, "ULLK", &key, &size, &mtime_ns, &ino)
                 && (name = PyUnicode_EncodeFSDefault(key)) != NULL;
        Py_DECREF(row);
        if (!ok) break;
        ok = listing_push(&listing, PyBytes_AS_STRING(name), (size_t)PyBytes_GET_SIZE(name), 0,
                          size, mtime_ns, ino) == 0;
        Py_DECREF(name);
        if (!ok) {
            PyErr_NoMemory();
            break;
        }
    }
    Py_DECREF(iterator);
    PyObject *result = NULL;
    if (!PyErr_Occurred()) {
        listing_complete(&listing);  /* in the order given */
        unsigned char digest[DIGEST_SIZE];
        digest_listing(&listing, digest);
        PyObject *packed = packed_bytes(&listing);
        result = packed ? Py_BuildValue("(Ny#)", packed, (const char *)digest,
                                        (Py_ssize_t)DIGEST_SIZE) : NULL;
    }
    listing_free(&listing);
    return result;
}

/* Two packed listings compared ---------------------------------------------------------- */

typedef struct {
    const unsigned char *at, *end;
    const unsigned char *name;  /* the current row's: its name, its length, its stats */
    size_t length;
    const unsigned char *stats;
    int done;
} Cursor;

/* The next row (done at the end); -1 for bytes that are no packed rows, -2 out of order. */
static int advance(Cursor *cursor) {
    if (cursor->at == cursor->end) {
        cursor->done = 1;
        return 0;
    }
    const unsigned char *nul = memchr(cursor->at, 0, (size_t)(cursor->end - cursor->at));
    if (nul == NULL || (size_t)(cursor->end - nul) < 1 + STATS_SIZE) return -1;
    const unsigned char *previous = cursor->name;
    size_t previous_length = cursor->length;
    cursor->name = cursor->at;
    cursor->length = (size_t)(nul - cursor->at);
    cursor->stats = nul + 1;
    cursor->at = nul + 1 + STATS_SIZE;
    if (previous != NULL) {
        size_t shorter = previous_length < cursor->length ? previous_length : cursor->length;
        int order = memcmp(previous, cursor->name, shorter);
        if (order > 0 || (order == 0 && previous_length >= cursor->length)) return -2;
    }
    return 0;
}

static int compare_cursors(const Cursor *left, const Cursor *right) {
    if (left->done) return 1;
    if (right->done) return -1;
    size_t shorter = left->length < right->length ? left->length : right->length;
    int order = memcmp(left->name, right->name, shorter);
    if (order != 0) return order;
    return (left->length > right->length) - (left->length < right->length);
}

static int add_name(PyObject *names, const Cursor *cursor) {
    PyObject *name = PyUnicode_DecodeFSDefaultAndSize((const char *)cursor->name,
                                                      (Py_ssize_t)cursor->length);
    if (name == NULL) return -1;
    int failed = PyList_Append(names, name);
    Py_DECREF(name);
    return failed;
}

static int add_row(PyObject *names, PyObject *rows, const Cursor *cursor) {
    PyObject *name = PyUnicode_DecodeFSDefaultAndSize((const char *)cursor->name,
                                                      (Py_ssize_t)cursor->length);
    if (name == NULL) return -1;
    PyObject *row = Py_BuildValue("(OLLK)", name, (long long)get_number(cursor->stats),
                                  (long long)get_number(cursor->stats + 8),
                                  get_number(cursor->stats + 16));
    int failed = row == NULL || PyList_Append(names, name) || PyList_Append(rows, row);
    Py_XDECREF(row);
    Py_DECREF(name);
    return failed ? -1 : 0;
}

static PyObject *differing(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer old, new;
    if (!PyArg_ParseTuple(args, "y*y*", &old, &new)) return NULL;
    Cursor a = {old.buf, (const unsigned char *)old.buf + old.len, NULL, 0, NULL, 0};
    Cursor b = {new.buf, (const unsigned char *)new.buf + new.len, NULL, 0, NULL, 0};
    PyObject *names = PyList_New(0), *rows = PyList_New(0), *result = NULL;
    int state = names && rows ? advance(&a) : -3;
    if (state == 0) state = advance(&b);
    while (state == 0 && !(a.done && b.done)) {
        int order = compare_cursors(&a, &b);
        if (order < 0) {
            state = add_name(names, &a) ? -3 : advance(&a);
        } else if (order > 0) {
            state = add_row(names, rows, &b) ? -3 : advance(&b);
        } else {
            if (memcmp(a.stats, b.stats, STATS_SIZE) != 0 && add_row(names, rows, &b)) state = -3;
            if (state == 0) state = advance(&a);
            if (state == 0) state = advance(&b);
        }
    }
    if (state == 0) {
        result = PyTuple_Pack(2, names, rows);
    } else if (state == -1) {
        PyErr_SetString(PyExc_ValueError, "not a packed listing");
    } else if (state == -2) {
        result = Py_NewRef(Py_None);
    }  /* -3: a Python error is set */
    Py_XDECREF(names);
    Py_XDECREF(rows);
    PyBuffer_Release(&old);
    PyBuffer_Release(&new);
    return result;
}

/* Lines of a label file against its recorded lines ----------------------------------------- */

static size_t count_lines(const char *data, size_t length) {
    size_t count = 1;
    const char *end = data + length;
    for (const char *at = data; (at = memchr(at, '\n', (size_t)(end - at))) != NULL; at++) count++;
    return count;
}

static PyObject *aligned_lines(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *text_arg;
    Py_buffer recorded;
    if (!PyArg_ParseTuple(args, "Uy*", &text_arg, &recorded)) return NULL;
    Py_ssize_t text_length;
    const char *text = PyUnicode_AsUTF8AndSize(text_arg, &text_length);
    if (text == NULL) {  /* lone surrogates: the caller compares in Python */
        PyErr_Clear();
        PyBuffer_Release(&recorded);
        Py_RETURN_NONE;
    }
    const char *old = recorded.buf;
    size_t old_length = (size_t)recorded.len;
    size_t lines = count_lines(text, (size_t)text_length);
    if (text_length == 0 || text[text_length - 1] == '\n') lines--;  /* the last line's "\n" */
    size_t old_lines = old_length ? count_lines(old, old_length) : 0;
    if (lines != old_lines) {
        PyBuffer_Release(&recorded);
        Py_RETURN_NONE;
    }
    PyObject *found = PyList_New(0);
    const char *at = text, *text_end = text + text_length, *then = old, *old_end = old + old_length;
    for (size_t i = 0; found != NULL && i < lines; i++) {
        const char *stop = memchr(at, '\n', (size_t)(text_end - at));
        const char *old_stop = memchr(then, '\n', (size_t)(old_end - then));
        if (stop == NULL) stop = text_end;
        if (old_stop == NULL) old_stop = old_end;
        size_t length = (size_t)(stop - at), old_line = (size_t)(old_stop - then);
        if (length != old_line || memcmp(at, then, length) != 0) {
            PyObject *row = Py_BuildValue("(ns#s#)", (Py_ssize_t)i, at, (Py_ssize_t)length,
                                          then, (Py_ssize_t)old_line);
            if (row == NULL || PyList_Append(found, row) != 0) Py_CLEAR(found);
            Py_XDECREF(row);
        }
        at = stop + 1;
        then = old_stop + 1;
    }
    PyBuffer_Release(&recorded);
    return found;
}

static PyMethodDef methods[] = {
    {"list_dir", list_dir, METH_O,
     "list_dir(path) -> sorted [(key, size, mtime_ns, ino)]: files by name, folders as name/"},
    {"list_dir_unless", list_dir_unless, METH_VARARGS,
     "list_dir_unless(path, top, digest) -> (list_folder's rows, their digest), or None when"
     " their digest is `digest`"},
    {"rows_digest", rows_digest, METH_O, "rows_digest(rows) -> the digest of listing rows"},
    {"list_folders", list_folders, METH_VARARGS,
     "list_folders([(path, top, digest), ...], threads) -> per folder None, (packed rows,"
     " digest) or False (a link), listed by native threads"},
    {"pack_rows", pack_rows, METH_O, "pack_rows(rows) -> (packed rows, their digest)"},
    {"aligned_lines", aligned_lines, METH_VARARGS,
     "aligned_lines(text, recorded) -> [(index, line, recorded line)] of the lines that differ,"
     " or None when the two do not have as many lines"},
    {"differing", differing, METH_VARARGS,
     "differing(old, new) -> (names, new rows) of two packed listings' differing rows, or None"
     " when one is not sorted"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gasvc._listing", "A folder's entries and stats, natively.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__listing(void) { return PyModule_Create(&module); }
