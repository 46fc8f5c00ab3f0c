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
 * rows_digest(rows) -> the digest of such rows: b"f" and two 64-bit FNV-1a hashes (other
 *   multipliers) of each row's name bytes, a NUL, and its size, mtime and inode (8 bytes each,
 *   little-endian). Not cryptographic: it tells a folder's listing from the one recorded.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *name;      /* name, plus "/" for a folder */
    size_t length;
    long long size;
    long long mtime_ns;
    unsigned long long ino;
} Item;

typedef struct {
    Item *items;
    size_t count;
    size_t capacity;
    int error;       /* errno of a failure that must reach Python, else 0 */
} Listing;

static void listing_free(Listing *listing) {
    for (size_t i = 0; i < listing->count; i++) free(listing->items[i].name);
    free(listing->items);
}

static int listing_push(Listing *listing, const char *name, int folder, const struct stat *st) {
    if (listing->count == listing->capacity) {
        size_t capacity = listing->capacity ? listing->capacity * 2 : 64;
        Item *grown = realloc(listing->items, capacity * sizeof(Item));
        if (grown == NULL) return -1;
        listing->items = grown;
        listing->capacity = capacity;
    }
    size_t length = strlen(name);
    char *copy = malloc(length + 2);
    if (copy == NULL) return -1;
    memcpy(copy, name, length);
    if (folder) copy[length++] = '/';
    copy[length] = '\0';
    Item *item = &listing->items[listing->count++];
    item->name = copy;
    item->length = length;
    item->size = folder ? 0 : (long long)st->st_size;
    item->mtime_ns = folder ? 0 : (long long)st->st_mtim.tv_sec * 1000000000LL
                                  + st->st_mtim.tv_nsec;
    item->ino = folder ? 0 : (unsigned long long)st->st_ino;
    return 0;
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

/* Read the folder into `listing`, sorted; runs without the GIL. */
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
        if (kind && listing_push(listing, name, kind == 2, &st) != 0) {
            listing->error = ENOMEM;
            break;
        }
        errno = 0;
    }
    if (!listing->error && errno != 0) listing->error = errno;
    closedir(dir);
    if (listing->count > 1) qsort(listing->items, listing->count, sizeof(Item), compare_items);
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
        if (gas || labels) {
            free(item->name);
            continue;
        }
        listing->items[kept++] = *item;
    }
    listing->count = kept;
}

typedef struct {
    unsigned long long first, second;
} Digest;

#define DIGEST_SIZE 17  /* "f" and two 64-bit hashes */

static void digest_bytes(Digest *digest, const unsigned char *data, size_t length) {
    for (size_t i = 0; i < length; i++) {
        digest->first = (digest->first ^ data[i]) * 0x100000001b3ULL;
        digest->second = (digest->second ^ data[i]) * 0x9e3779b97f4a7c15ULL;
    }
}

static void digest_number(Digest *digest, unsigned long long value) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(value >> (8 * i));
    digest_bytes(digest, bytes, 8);
}

static void digest_row(Digest *digest, const char *name, size_t length, long long size,
                       long long mtime_ns, unsigned long long ino) {
    static const unsigned char nul = 0;
    digest_bytes(digest, (const unsigned char *)name, length);
    digest_bytes(digest, &nul, 1);
    digest_number(digest, (unsigned long long)size);
    digest_number(digest, (unsigned long long)mtime_ns);
    digest_number(digest, ino);
}

static void digest_start(Digest *digest) {
    digest->first = 0xcbf29ce484222325ULL;
    digest->second = 0x84222325cbf29ce4ULL;
}

static void digest_out(const Digest *digest, unsigned char *out) {
    out[0] = 'f';
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
    Listing listing = {NULL, 0, 0, 0};
    const char *path = PyBytes_AS_STRING(encoded);
    Py_BEGIN_ALLOW_THREADS
    read_folder(path, &listing);
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
    Listing listing = {NULL, 0, 0, 0};
    unsigned char found[DIGEST_SIZE];
    const char *path = PyBytes_AS_STRING(encoded);
    Py_BEGIN_ALLOW_THREADS
    read_folder(path, &listing);
    if (!listing.error) {
        filter(&listing, top);
        digest_listing(&listing, found);
    }
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (listing.error == ENOMEM) {
        PyErr_NoMemory();
    } else if (listing.error) {
        errno = listing.error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_arg);
    } else if (known != NULL && known_length == DIGEST_SIZE
               && memcmp(known, found, DIGEST_SIZE) == 0) {
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

static PyMethodDef methods[] = {
    {"list_dir", list_dir, METH_O,
     "list_dir(path) -> sorted [(key, size, mtime_ns, ino)]: files by name, folders as name/"},
    {"list_dir_unless", list_dir_unless, METH_VARARGS,
     "list_dir_unless(path, top, digest) -> (list_folder's rows, their digest), or None when"
     " their digest is `digest`"},
    {"rows_digest", rows_digest, METH_O, "rows_digest(rows) -> the digest of listing rows"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gasvc._listing", "A folder's entries and stats, natively.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__listing(void) { return PyModule_Create(&module); }
