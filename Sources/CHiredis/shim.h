// The hiredis API this project uses: the protocol encoder (`redisFormatCommandArgv`) and the reply reader.
// Only functions present in both hiredis 0.14 (Debian 12) and 1.x (Ubuntu 24.04) are called.
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
