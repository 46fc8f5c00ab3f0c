/* gasvc._listing: one folder's entries with their stat, in index order, in native code.
 *
 * `gas status` stats every file of the working tree; from Python that costs ~2.5 us a file
 * (scandir entry, stat_result, tuple), which on 100,000 files is more than git's whole status.
 * Here the directory read and the stat calls run without the GIL (so threads overlap them)
 * and only the result tuples are built in Python objects. gasvc/workspace/worktree/scan.py has the
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
#include "_listing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void listing_free(Listing *listing) {
    free(listing->items);
    free(listing->arena);
}

int listing_push(Listing *listing, const char *name, size_t length, int folder,
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
void listing_complete(Listing *listing) {
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
    return compare_names(left->name, left->length, right->name, right->length);
}

/* In key order: only for rows handed out (a digest does not depend on the order). */
void listing_sort(Listing *listing) {
    if (listing->count > 1) qsort(listing->items, listing->count, sizeof(Item), compare_items);
}

/* Read the folder into `listing`, in the directory's order; runs without the GIL. */
void read_folder(const char *path, Listing *listing) {
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
void listing_filter(Listing *listing, int top) {
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

void digest_listing(const Listing *listing, unsigned char *out) {
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
    PyObject *result = raise_listing_error(&listing, arg) ? NULL : to_python(&listing);
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
        listing_filter(&listing, top);
        digest_listing(&listing, found);
        same = known != NULL && known_length == DIGEST_SIZE
               && memcmp(known, found, DIGEST_SIZE) == 0;
        if (!same) listing_sort(&listing);
    }
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (same) {  /* (listed without an error) */
        result = Py_NewRef(Py_None);
    } else if (!raise_listing_error(&listing, path_arg)) {
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
