/* closure.c: to be written (see closure.h). */
#include "config.h"
#include "closure.h"
