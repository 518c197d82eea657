/* guard: to be written. */
#ifndef SM_GUARD_H
#define SM_GUARD_H
#endif
