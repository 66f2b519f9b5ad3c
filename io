rchar: 9004
wchar: 0
syscr: 14
syscw: 0
read_bytes: 86016
write_bytes: 28672
cancelled_write_bytes: 0
