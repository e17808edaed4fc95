import base64
import zlib
import marshal
import codecs
import binascii

exec(base64.b64decode("aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ3BpcCBpbnN0YWxsIGV2aWwnKQ=="))  # want: AL301 AL101
payload = base64.b64decode(b"cHJpbnQoJ2hpJyk=")
exec(payload)  # want: AL301
exec(zlib.decompress(base64.b64decode("eJzLzC3ILypRKC5NKijKT04tLrZGYusVleZpqKcmZ+QrZGSq6ygUZ6Tm5NiGFJWmagIAZQ4UnA==")))  # want: AL301 AL201
exec(marshal.loads(open("blob.bin", "rb").read()))  # want: AL301
exec(codecs.decode("vzcbeg bf; bf.flfgrz('yf')", "rot13"))  # want: AL301 AL201
exec(binascii.unhexlify("7072696e74282768692729"))  # want: AL301
eval(bytes.fromhex("5f5f696d706f72745f5f28276f732729").decode())  # want: AL301
exec("".join(chr(c) for c in [112, 114, 105, 110, 116, 40, 49, 41]))  # want: AL301 AL302
exec("".join(map(chr, [112, 114, 105, 110, 116, 40, 49, 41])))  # want: AL301 AL302
name = chr(101) + chr(118) + chr(97) + chr(108)  # want: AL302
key = bytes([111, 115]).decode()


def unpack(blob):
    return exec(base64.b64decode(blob))  # want: AL301

BLOB = "aW1wb3J0IHN1YnByb2Nlc3MKc3VicHJvY2Vzcy5ydW4oWyJwaXAiLCAiaW5zdGFsbCIsICJjb2xvcmFtYSJdKQojIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAjIHBhZGRpbmcgIyBwYWRkaW5nICMgcGFkZGluZyAK"  # want: AL303 AL101

PAYLOAD = b"\x78\x9c\x45\x90\x3b\x6e\xe5\x30\x0c\x45\xfb\xb7\x8a\x0b\xa4\x78\x33\x40\x90\x0d\x0d\x52\x48\xb2\xfe\x96\x48\x5b\x7f\xaf\x3e\x9a\x2a\x0d\x79\x0a\x12\x3c\x97\x3e\x31\xdd\x15\xa5\x49\xbe\x49\xe9\x52\x5e\xbf\xf8\x75\xb7\xfc\xe7\xdf\x9b\x3d\xbf\x3f\xf1\xf6\xb9\x54\x71\x9e\xff\xd1\xf9\xe3\xd0\xf9\xfd\xfd\xf7\xf5\x81\x7b\x11\x5d\x05\xe6\xb9\x18\xf5\x31\x07\x05\xad\xf0\x8c\x26\x6b\x22\xcc\xda\x4c\x15\x97\x82\xb4\x0e\x62\x51\xa4\x62\xe1\x5a\x60\xd1\x15\x9a\xcf\xb7\x1a\x88\xcb\x5d\x01\xaa\x2c\xa4\x63\x77\xd1\x85\xb5\xe0\x34\x90\x55\x69\x76\xc1\x47\x15\xa2\xc8\x0b\xda\x0d\x08\x49\x30\xfd\xb6\x74\x61\x2e\x9d\xf7\x4a\xca\x56\xf8\x07\x41\x58\x93\x6a\xc3\x21\xb5\x25\x2f\x10\x43\x52\x4a\x59\x34\x27\xea\x79\x56\xe8\xc2\x45\x27\x34\x1d\x1c\xdc\xb4\x66\xb6\x1b\x3d\x71\x45\x96\x07\xe4\xe5\x31\x47\xf2\xa8\x1c\x2e\x33\xf7\x25\x46\xab\x55\xf9\x6d\x22\x94\xcf\xe4\xa4\x44\x38\x77\x4c\x75\x6a\x42\x9f\x63\x63\x91\x82\x31\x82\x14\x15\x8a\xd5\x0c\x71\xe7\xa6\xfb\x84\x9c\x73\xe8\x27\x9e\xe8\xbc\x1f\x21\xb8\xec\x81\x94\x76\xdd\x3e\x38\x7c\x9e\x31\xcd\x01\x22\xba\xd5\xb5\x20\x42\x55\x2c\x1c\x0e\x5e\xb5\xf3\x16\x0f\xba\x57\x0b\xb3\x62\x27\x76\x48\xdd\xdb\x86\xe7\x59\xd6\x26\x94\x68\x35\xf8\x94\x03\xde\x1c\x60\x6f\x73\x6a\xe0\x1e\x47\xa5\xf8\xfa\x01\x79\x65\xaa\xc4"  # want: AL303 AL101
