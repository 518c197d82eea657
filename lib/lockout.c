/* lockout.c: to be written (see lockout.h). */
#include "config.h"
#include "lockout.h"
