/* gasvc._listing's shared parts: a folder's listing in native memory, its digest, and the
 * functions the two source files (_listing.c: listing and digest; _listing_packed.c: packed rows,
 * many folders at once, label lines) call across. */
#ifndef GASVC_LISTING_H
#define GASVC_LISTING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

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

/* The digest: "g" and two 64-bit sums, over the rows, of two hashes of each row (its name
 * 8 bytes at a time, its length, size, mtime and inode, each step mixed). Sums, so the rows'
 * order does not matter (names are unique in a folder): a clean folder is never sorted. */
typedef struct {
    unsigned long long first, second;
} Digest;

#define DIGEST_SIZE 17

/* Names in key order: byte order, a name before the longer names it begins. */
static inline int compare_names(const void *left, size_t left_length, const void *right,
                                size_t right_length) {
    size_t shorter = left_length < right_length ? left_length : right_length;
    int order = memcmp(left, right, shorter);
    if (order != 0) return order;
    return (left_length > right_length) - (left_length < right_length);
}

/* A listing's failure as a Python exception (MemoryError, or OSError naming `path`): -1 when
 * one is set, 0 when the listing did not fail. */
static inline int raise_listing_error(const Listing *listing, PyObject *path) {
    if (listing->error == ENOMEM) {
        PyErr_NoMemory();
    } else if (listing->error) {
        errno = listing->error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
    } else {
        return 0;
    }
    return -1;
}

void listing_free(Listing *listing);
int listing_push(Listing *listing, const char *name, size_t length, int folder, long long size,
                 long long mtime_ns, unsigned long long ino);
void listing_complete(Listing *listing);
void listing_sort(Listing *listing);
void read_folder(const char *path, Listing *listing);
void listing_filter(Listing *listing, int top);
void digest_listing(const Listing *listing, unsigned char *out);

PyObject *list_folders(PyObject *module, PyObject *args);
PyObject *pack_rows(PyObject *module, PyObject *rows);
PyObject *differing(PyObject *module, PyObject *args);
PyObject *aligned_lines(PyObject *module, PyObject *args);

#endif
