/* gasvc._listing, its second half (see _listing.c for what each function gives): packed rows,
 * many folders listed at once by native threads, two packed listings compared, and the lines of
 * a label file compared with its recorded lines. */
#include "_listing.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        listing_filter(&job->listing, job->top);
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

PyObject *list_folders(PyObject *module, PyObject *args) {
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
        PyObject *found = raise_listing_error(&job->listing, PyTuple_GET_ITEM(job->source, 0))
                          ? NULL : job_result(job);
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

PyObject *pack_rows(PyObject *module, PyObject *rows) {
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
    if (previous != NULL
        && compare_names(previous, previous_length, cursor->name, cursor->length) >= 0) {
        return -2;
    }
    return 0;
}

static int compare_cursors(const Cursor *left, const Cursor *right) {
    if (left->done) return 1;
    if (right->done) return -1;
    return compare_names(left->name, left->length, right->name, right->length);
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

PyObject *differing(PyObject *module, PyObject *args) {
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

PyObject *aligned_lines(PyObject *module, PyObject *args) {
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
