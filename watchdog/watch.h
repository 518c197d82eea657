/* watch: to be written. */
#ifndef SM_WATCH_H
#define SM_WATCH_H
#endif
