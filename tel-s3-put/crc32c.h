/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as S3's
 * x-amz-checksum-crc32c wants it: initial value and final xor 0xFFFFFFFF.
 */
#ifndef S3PUT_CRC32C_H
#define S3PUT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc of the bytes so far (0 to begin), extended by p[0..n). */
uint32_t	crc32c(uint32_t, const void *, size_t);

#endif
