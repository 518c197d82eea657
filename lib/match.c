/* match.c: to be written (see match.h). */
#include "config.h"
#include "match.h"
