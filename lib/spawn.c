/* spawn.c: to be written (see spawn.h). */
#include "config.h"
#include "spawn.h"
