/* rollback.c: to be written (see rollback.h). */
#include "config.h"
#include "rollback.h"
