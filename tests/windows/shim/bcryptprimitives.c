/* Test-environment shim for Wine 8, which lacks bcryptprimitives.dll: Rust's standard library
 * (1.78 and later) takes its random numbers from ProcessPrng there. Real Windows has the DLL;
 * this file is never shipped. RtlGenRandom is advapi32's SystemFunction036. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
