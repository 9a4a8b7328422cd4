"""Walk both trees of ISO images with pycdlib and print what it sees as JSON.

stdin: {"images": ["/tmp/a.iso", ...], "data": true}
stdout: [{"image", "volumeId", "jolietVolumeId", "joliet": {"files": [...], "dirs": [...]},
          "iso": {...}} | {"image", "error"}]
A file is {"path", "size"} plus {"sha256", "read"} (bytes actually read) when "data" is true.
Multi-extent files are followed through pycdlib's data_continuation chain.
Run with /usr/bin/python3 (Debian's python3-pycdlib).
"""
import hashlib
import io
import json
import sys

import pycdlib


def chain_size(record):
    total = 0
    while record is not None:
        total += record.get_data_length()
        record = record.data_continuation
    return total


def walk(iso, key, with_data):
    files, dirs = [], []
    for dirpath, dirnames, filenames in iso.walk(**{key: "/"}):
        base = "" if dirpath == "/" else dirpath
        for name in dirnames:
            dirs.append(base + "/" + name)
        for name in filenames:
            path = base + "/" + name
            entry = {"path": path, "size": chain_size(iso.get_record(**{key: path}))}
            if with_data:
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, **{key: path})
                data = out.getvalue()
                entry["sha256"] = hashlib.sha256(data).hexdigest()
                entry["read"] = len(data)
            files.append(entry)
    return {"files": files, "dirs": dirs}


def main():
    request = json.load(sys.stdin)
    results = []
    for image in request["images"]:
        iso = pycdlib.PyCdlib()
        try:
            iso.open(image)
            result = {
                "image": image,
                "volumeId": iso.pvd.volume_identifier.decode("ascii").rstrip(),
                "jolietVolumeId": iso.joliet_vd.volume_identifier.decode("utf-16-be").rstrip()
                if iso.joliet_vd is not None
                else None,
                "joliet": walk(iso, "joliet_path", request["data"]) if iso.joliet_vd is not None else None,
                "iso": walk(iso, "iso_path", request["data"]),
            }
            iso.close()
        except Exception as err:  # report, never crash the batch
            result = {"image": image, "error": repr(err)}
        results.append(result)
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
