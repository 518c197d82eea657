#include "config.h"
#include "guard.h"
