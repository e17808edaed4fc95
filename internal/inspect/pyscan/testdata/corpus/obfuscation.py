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
