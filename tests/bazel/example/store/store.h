#ifndef STORE_H
#define STORE_H
/* Appends one record to the journal file; 0 or -1. */
int store_append(const char *record);
#endif
