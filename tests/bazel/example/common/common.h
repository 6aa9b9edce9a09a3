#ifndef COMMON_H
#define COMMON_H
#define JOURNAL_PATH "journal.log"
#endif
