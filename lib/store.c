/* store.c: to be written (see store.h). */
#include "config.h"
#include "store.h"
