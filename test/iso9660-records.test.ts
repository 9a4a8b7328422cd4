/**
 * ECMA-119 record encoders/decoders. Expected bytes come from the standard's field definitions
 * (7.2-7.3 numbers, 8.4 volume descriptor offsets, 9.1 directory records, 9.4 path tables),
 * written out by hand here.
 */
import assert from "node:assert/strict";
import {
  FLAG_DIRECTORY,
  IsoFormatError,
  SECTOR,
  VD_PRIMARY,
  VD_SUPPLEMENTARY,
  JOLIET_LEVEL3_ESCAPE,
  asciiField,
  decodeDirRecord,
  decodePathTableRecord,
  decodeRecordDate,
  decodeVolumeDescriptor,
  dirRecordLength,
  encodeDirRecord,
  encodePathTableRecord,
  encodeRecordDate,
  encodeTerminator,
  encodeVolumeDate,
  encodeVolumeDescriptor,
  pathTableRecordLength,
  ucs2Field,
  writeBoth16,
  writeBoth32,
} from "../plugins/iso9660/records.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("iso9660 records", () => {
  describe("both-endian numbers", () => {
    it("writes a 32-bit both-endian value little-endian first, then big-endian (7.3.3)", () => {
      const buf = Buffer.alloc(8);
      writeBoth32(buf, 0, 0x01020304);
      assert.deepEqual(buf, hex("04030201 01020304"));
    });

    it("writes a 16-bit both-endian value as LE then BE (7.2.3)", () => {
      const buf = Buffer.alloc(4);
      writeBoth16(buf, 0, 2048);
      assert.deepEqual(buf, hex("0008 0800"));
    });
  });

  describe("dates", () => {
    it("encodes the Unix epoch as years-since-1900 70, January 1st, midnight, GMT offset 0", () => {
      assert.deepEqual([...encodeRecordDate(new Date(0))], [70, 1, 1, 0, 0, 0, 0]);
    });

    it("encodes the last representable second of 2155 with year byte 255", () => {
      assert.deepEqual([...encodeRecordDate(new Date(Date.UTC(2155, 11, 31, 23, 59, 59)))], [255, 12, 31, 23, 59, 59, 0]);
    });

    it("encodes a volume date as 16 ASCII digits with zero hundredths and a zero offset byte", () => {
      const bytes = encodeVolumeDate(new Date(Date.UTC(2024, 1, 29, 13, 5, 9)));
      assert.equal(bytes.length, 17);
      assert.equal(bytes.toString("ascii", 0, 16), "2024022913050900");
      assert.equal(bytes[16], 0);
    });

    it("decodes a record date with a GMT offset in 15-minute units", () => {
      // 2024-01-01 09:00 at GMT+9 (36 quarter hours) is midnight UTC.
      const date = decodeRecordDate(Buffer.from([124, 1, 1, 9, 0, 0, 36]));
      assert.equal(date?.toISOString(), "2024-01-01T00:00:00.000Z");
    });

    it("decodes an all-zero record date as no date", () => {
      assert.equal(decodeRecordDate(Buffer.alloc(7)), undefined);
    });
  });

  describe("identifier fields", () => {
    it("pads an ASCII field with spaces", () => {
      assert.deepEqual(asciiField("AERO", 8), Buffer.from("AERO    ", "ascii"));
    });

    it("pads a UCS-2 field with UCS-2 spaces and ends an odd-length field with one zero byte", () => {
      assert.deepEqual(ucs2Field("A", 7), hex("0041 0020 0020 00"));
    });
  });

  describe("directory records", () => {
    it("adds a pad byte only when the identifier length is even (9.1.12)", () => {
      assert.equal(dirRecordLength(1), 34);
      assert.equal(dirRecordLength(2), 36);
      assert.equal(dirRecordLength(7), 40);
    });

    it("lays out every field at the offset 9.1 gives it", () => {
      const date = Buffer.from([70, 1, 1, 0, 0, 0, 0]);
      const rec = encodeDirRecord({ extent: 27, dataLength: 2, date, flags: 0, id: Buffer.from("A.TXT;1", "ascii") });
      assert.deepEqual(
        rec,
        Buffer.concat([
          hex("28 00"), // length 40, no extended attribute record
          hex("1b000000 0000001b"), // extent 27
          hex("02000000 00000002"), // data length 2
          date,
          hex("00 00 00"), // flags, file unit size, interleave gap
          hex("0100 0001"), // volume sequence number 1
          hex("07"),
          Buffer.from("A.TXT;1", "ascii"),
        ]),
      );
    });

    it("decodes what it encodes", () => {
      const date = Buffer.from([124, 6, 15, 12, 30, 0, 0]);
      const rec = encodeDirRecord({ extent: 1234, dataLength: 4096, date, flags: FLAG_DIRECTORY, id: Buffer.from("DRIVERS") });
      const decoded = decodeDirRecord(rec, 0);
      assert.equal(decoded.extent, 1234);
      assert.equal(decoded.extentBE, 1234);
      assert.equal(decoded.dataLength, 4096);
      assert.equal(decoded.dataLengthBE, 4096);
      assert.equal(decoded.flags, FLAG_DIRECTORY);
      assert.deepEqual(decoded.date, date);
      assert.equal(decoded.id.toString(), "DRIVERS");
      assert.equal(decoded.length, rec.length);
    });

    it("refuses a record shorter than the fixed part", () => {
      const rec = encodeDirRecord({ extent: 1, dataLength: 1, date: Buffer.alloc(7), flags: 0, id: Buffer.from("A") });
      rec[0] = 20;
      assert.throws(() => decodeDirRecord(rec, 0), IsoFormatError);
    });

    it("refuses a record that overruns its extent", () => {
      const rec = encodeDirRecord({ extent: 1, dataLength: 1, date: Buffer.alloc(7), flags: 0, id: Buffer.from("ABC") });
      assert.throws(() => decodeDirRecord(rec, 0, rec.length - 1), /overruns/);
    });

    it("refuses an identifier longer than its record", () => {
      const rec = encodeDirRecord({ extent: 1, dataLength: 1, date: Buffer.alloc(7), flags: 0, id: Buffer.from("ABC") });
      rec[32] = 200;
      assert.throws(() => decodeDirRecord(rec, 0), /does not fit/);
    });
  });

  describe("path table records", () => {
    it("records extent and parent little-endian in a type L table and pads an odd identifier", () => {
      const rec = encodePathTableRecord({ id: Buffer.from("DIR"), extent: 24, parent: 1 }, "L");
      assert.deepEqual(rec, Buffer.concat([hex("03 00 18000000 0100"), Buffer.from("DIR"), hex("00")]));
    });

    it("records extent and parent big-endian in a type M table", () => {
      const rec = encodePathTableRecord({ id: Buffer.from("DIR"), extent: 24, parent: 1 }, "M");
      assert.deepEqual(rec, Buffer.concat([hex("03 00 00000018 0001"), Buffer.from("DIR"), hex("00")]));
    });

    it("sizes a record as 8 + identifier + pad when the identifier length is odd", () => {
      assert.equal(pathTableRecordLength(1), 10);
      assert.equal(pathTableRecordLength(6), 14);
    });

    it("decodes both endiannesses back to the same record", () => {
      for (const endian of ["L", "M"] as const) {
        const rec = decodePathTableRecord(encodePathTableRecord({ id: Buffer.from("AB"), extent: 70000, parent: 300 }, endian), 0, endian);
        assert.equal(rec.extent, 70000);
        assert.equal(rec.parent, 300);
        assert.equal(rec.id.toString(), "AB");
      }
    });
  });

  describe("volume descriptors", () => {
    const root = encodeDirRecord({ extent: 23, dataLength: 2048, date: Buffer.from([70, 1, 1, 0, 0, 0, 0]), flags: 2, id: Buffer.from([0]) });
    const date = encodeVolumeDate(new Date(0));

    it("places the primary descriptor's fields at the offsets of ECMA-119 8.4", () => {
      const pvd = encodeVolumeDescriptor({
        type: VD_PRIMARY,
        systemId: asciiField("AERO", 32),
        volumeId: asciiField("VOL", 32),
        volumeSpaceSize: 29,
        pathTableSize: 22,
        lPathTable: 19,
        mPathTable: 20,
        rootRecord: root,
        date,
      });
      assert.equal(pvd.length, SECTOR);
      assert.equal(pvd[0], 1);
      assert.equal(pvd.toString("ascii", 1, 6), "CD001");
      assert.equal(pvd[6], 1);
      assert.equal(pvd.toString("ascii", 8, 40), "AERO" + " ".repeat(28));
      assert.equal(pvd.toString("ascii", 40, 72), "VOL" + " ".repeat(29));
      assert.deepEqual(pvd.subarray(80, 88), hex("1d000000 0000001d"));
      assert.deepEqual(pvd.subarray(88, 120), Buffer.alloc(32));
      assert.deepEqual(pvd.subarray(120, 132), hex("0100 0001 0100 0001 0008 0800"));
      assert.deepEqual(pvd.subarray(132, 140), hex("16000000 00000016"));
      assert.deepEqual(pvd.subarray(140, 156), hex("13000000 00000000 00000014 00000000"));
      assert.deepEqual(pvd.subarray(156, 190), root);
      // Volume set, publisher, preparer, application (128 each), copyright/abstract/bibliographic (37 each): not specified.
      assert.equal(pvd.toString("latin1", 190, 813), " ".repeat(813 - 190));
      assert.equal(pvd.toString("ascii", 813, 829), "1970010100000000");
      assert.equal(pvd.toString("ascii", 830, 846), "1970010100000000");
      assert.equal(pvd.toString("ascii", 847, 863), "0000000000000000");
      assert.equal(pvd[863], 0);
      assert.equal(pvd.toString("ascii", 864, 880), "1970010100000000");
      assert.equal(pvd[881], 1);
      assert.deepEqual(pvd.subarray(882), Buffer.alloc(SECTOR - 882));
    });

    it("writes a Joliet descriptor's identifiers in UCS-2 and its level 3 escape sequence", () => {
      const svd = encodeVolumeDescriptor({
        type: VD_SUPPLEMENTARY,
        systemId: ucs2Field("AERO", 32),
        volumeId: ucs2Field("VOL", 32),
        volumeSpaceSize: 29,
        escapeSequences: JOLIET_LEVEL3_ESCAPE,
        pathTableSize: 24,
        lPathTable: 21,
        mPathTable: 22,
        rootRecord: root,
        date,
      });
      assert.equal(svd[0], 2);
      assert.deepEqual(svd.subarray(8, 16), hex("0041 0045 0052 004f"));
      assert.deepEqual(svd.subarray(16, 40), Buffer.from("0020".repeat(12), "hex"));
      assert.deepEqual(svd.subarray(40, 46), hex("0056 004f 004c"));
      assert.deepEqual(svd.subarray(88, 91), hex("25 2f 45"));
      assert.deepEqual(svd.subarray(190, 702), Buffer.from("0020".repeat(256), "hex"));
      assert.deepEqual(svd.subarray(702, 739), Buffer.concat([Buffer.from("0020".repeat(18), "hex"), hex("00")]));
      const decoded = decodeVolumeDescriptor(svd);
      assert.equal(decoded.joliet, true);
      assert.equal(decoded.pathTableSize, 24);
      assert.equal(decoded.lPathTable, 21);
      assert.equal(decoded.mPathTable, 22);
      assert.equal(decoded.root?.extent, 23);
    });

    it("writes a set terminator of type 255", () => {
      const t = encodeTerminator();
      assert.equal(t[0], 255);
      assert.equal(t.toString("ascii", 1, 6), "CD001");
      assert.equal(t[6], 1);
      assert.deepEqual(t.subarray(7), Buffer.alloc(SECTOR - 7));
    });

    it("refuses a sector without the CD001 identifier", () => {
      assert.throws(() => decodeVolumeDescriptor(Buffer.alloc(SECTOR)), IsoFormatError);
    });
  });
});
