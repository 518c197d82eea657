/* validate.c: to be written (see validate.h). */
#include "config.h"
#include "validate.h"
