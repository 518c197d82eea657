/* fsutil.c: to be written (see fsutil.h). */
#include "config.h"
#include "fsutil.h"
