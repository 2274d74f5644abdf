//! The object index: a redb database with one table per kind of record. Every change that makes
//! an object (or part, or upload) visible or invisible is one redb write transaction, so it is
//! atomic and durable when `commit` returns. Methods here block: call them from `blocking`.
//!
//! Tables (keys sort byte-wise, which is S3's listing order):
//! - `buckets`: name -> [`BucketMeta`]
//! - `objects`: (bucket, key bytes) -> [`ObjectMeta`]
//! - `uploads`: (bucket, key, upload id) -> [`UploadMeta`]
//! - `parts`:   (upload id, part number) -> [`PartMeta`]

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};
use s3s::{S3ErrorCode, S3Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache::ObjectCache;
use super::error::{err, internal, no_such_bucket, no_such_key, no_such_upload};
use super::meta::{BucketMeta, ObjectMeta, PartMeta, Segment, UploadMeta};

const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
const OBJECTS: TableDefinition<(&str, &[u8]), &[u8]> = TableDefinition::new("objects");
const UPLOADS: TableDefinition<(&str, &str, &str), &[u8]> = TableDefinition::new("uploads");
const PARTS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("parts");

/// What a scan callback wants next.
pub(crate) enum Step {
    Next,
    /// Continue at the first key >= this (must be greater than the current key).
    SeekTo(Vec<u8>),
    Stop,
}

pub(crate) struct Index {
    db: Database,
    /// Recently read objects. Every method here that changes an object invalidates it after
    /// its commit (see [`super::cache`]); nothing else writes the `objects` table.
    cache: ObjectCache,
}

fn enc<T: Serialize>(v: &T) -> S3Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(internal)
}

pub(crate) fn dec<T: DeserializeOwned>(b: &[u8]) -> S3Result<T> {
    serde_json::from_slice(b).map_err(internal)
}

impl Index {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let db = Database::create(path).map_err(std::io::Error::other)?;
        let txn = db.begin_write().map_err(std::io::Error::other)?;
        {
            txn.open_table(BUCKETS).map_err(std::io::Error::other)?;
            txn.open_table(OBJECTS).map_err(std::io::Error::other)?;
            txn.open_table(UPLOADS).map_err(std::io::Error::other)?;
            txn.open_table(PARTS).map_err(std::io::Error::other)?;
        }
        txn.commit().map_err(std::io::Error::other)?;
        Ok(Self {
            db,
            cache: ObjectCache::default(),
        })
    }

    pub fn cache(&self) -> &ObjectCache {
        &self.cache
    }

    fn read(&self) -> S3Result<redb::ReadTransaction> {
        self.db.begin_read().map_err(internal)
    }

    fn write(&self) -> S3Result<redb::WriteTransaction> {
        self.db.begin_write().map_err(internal)
    }

    // ---- buckets ----

    pub fn bucket(&self, name: &str) -> S3Result<Option<BucketMeta>> {
        let txn = self.read()?;
        let t = txn.open_table(BUCKETS).map_err(internal)?;
        match t.get(name).map_err(internal)? {
            Some(v) => Ok(Some(dec(v.value())?)),
            None => Ok(None),
        }
    }

    pub fn require_bucket(&self, name: &str) -> S3Result<BucketMeta> {
        self.bucket(name)?.ok_or_else(no_such_bucket)
    }

    pub fn list_buckets(&self) -> S3Result<Vec<(String, BucketMeta)>> {
        let txn = self.read()?;
        let t = txn.open_table(BUCKETS).map_err(internal)?;
        let mut out = Vec::new();
        for item in t.iter().map_err(internal)? {
            let (k, v) = item.map_err(internal)?;
            out.push((k.value().to_owned(), dec(v.value())?));
        }
        Ok(out)
    }

    pub fn create_bucket(&self, name: &str, meta: &BucketMeta) -> S3Result<()> {
        let txn = self.write()?;
        {
            let mut t = txn.open_table(BUCKETS).map_err(internal)?;
            if t.get(name).map_err(internal)?.is_some() {
                return Err(err(
                    S3ErrorCode::BucketAlreadyOwnedByYou,
                    "Your previous request to create the named bucket succeeded and you already own it.",
                ));
            }
            t.insert(name, enc(meta)?.as_slice()).map_err(internal)?;
        }
        txn.commit().map_err(internal)
    }

    /// Deletes an empty bucket; its unfinished multipart uploads go with it. Returns the data
    /// files (parts) that are no longer referenced.
    pub fn delete_bucket(&self, name: &str) -> S3Result<Vec<String>> {
        let txn = self.write()?;
        let mut dead = Vec::new();
        {
            let mut buckets = txn.open_table(BUCKETS).map_err(internal)?;
            if buckets.get(name).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
            let objects = txn.open_table(OBJECTS).map_err(internal)?;
            let empty: &[u8] = &[];
            if let Some(first) = objects.range((name, empty)..).map_err(internal)?.next() {
                let (k, _) = first.map_err(internal)?;
                if k.value().0 == name {
                    return Err(err(
                        S3ErrorCode::BucketNotEmpty,
                        "The bucket you tried to delete is not empty.",
                    ));
                }
            }
            let mut uploads = txn.open_table(UPLOADS).map_err(internal)?;
            let mut parts = txn.open_table(PARTS).map_err(internal)?;
            let mut ids = Vec::new();
            for item in uploads.range((name, "", "")..).map_err(internal)? {
                let (k, _) = item.map_err(internal)?;
                let (b, key, id) = k.value();
                if b != name {
                    break;
                }
                ids.push((key.to_owned(), id.to_owned()));
            }
            for (key, id) in &ids {
                uploads
                    .remove((name, key.as_str(), id.as_str()))
                    .map_err(internal)?;
                dead.extend(
                    remove_parts(&mut parts, id)?
                        .into_iter()
                        .map(|p| p.segment.id),
                );
            }
            buckets.remove(name).map_err(internal)?;
        }
        let committed = txn.commit().map_err(internal);
        self.cache.invalidate_bucket(name);
        committed?;
        Ok(dead)
    }

    // ---- objects ----

    pub fn get_object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        let txn = self.read()?;
        let t = txn.open_table(OBJECTS).map_err(internal)?;
        if let Some(v) = t.get((bucket, key.as_bytes())).map_err(internal)? {
            return dec(v.value());
        }
        let b = txn.open_table(BUCKETS).map_err(internal)?;
        if b.get(bucket).map_err(internal)?.is_none() {
            return Err(no_such_bucket());
        }
        Err(no_such_key())
    }

    /// Makes `meta` the object at (bucket, key) if the bucket exists and `check` (given the
    /// current object, if any) agrees. Returns the data files of the replaced object.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        meta: &ObjectMeta,
        check: impl FnOnce(Option<&ObjectMeta>) -> S3Result<()>,
    ) -> S3Result<Vec<Segment>> {
        let value = enc(meta)?;
        let txn = self.write()?;
        let old = {
            let buckets = txn.open_table(BUCKETS).map_err(internal)?;
            if buckets.get(bucket).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
            let mut t = txn.open_table(OBJECTS).map_err(internal)?;
            let old: Option<ObjectMeta> = match t.get((bucket, key.as_bytes())).map_err(internal)? {
                Some(v) => Some(dec(v.value())?),
                None => None,
            };
            check(old.as_ref())?;
            t.insert((bucket, key.as_bytes()), value.as_slice())
                .map_err(internal)?;
            old
        };
        let committed = txn.commit().map_err(internal);
        self.cache.invalidate(bucket, key);
        committed?;
        Ok(old.map(|o| o.segments).unwrap_or_default())
    }

    /// Deletes keys (missing ones are fine). Returns the data files no longer referenced.
    pub fn delete_objects(&self, bucket: &str, keys: &[&str]) -> S3Result<Vec<String>> {
        let txn = self.write()?;
        let mut dead = Vec::new();
        {
            let buckets = txn.open_table(BUCKETS).map_err(internal)?;
            if buckets.get(bucket).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
            let mut t = txn.open_table(OBJECTS).map_err(internal)?;
            for key in keys {
                if let Some(v) = t.remove((bucket, key.as_bytes())).map_err(internal)? {
                    let m: ObjectMeta = dec(v.value())?;
                    dead.extend(m.segments.into_iter().map(|s| s.id));
                }
            }
        }
        let committed = txn.commit().map_err(internal);
        for key in keys {
            self.cache.invalidate(bucket, key);
        }
        committed?;
        Ok(dead)
    }

    /// Calls `f` with each (key, encoded meta) of `bucket` in key order from `start` on.
    pub fn scan_objects(
        &self,
        bucket: &str,
        start: Vec<u8>,
        mut f: impl FnMut(&[u8], &[u8]) -> S3Result<Step>,
    ) -> S3Result<()> {
        let txn = self.read()?;
        {
            let b = txn.open_table(BUCKETS).map_err(internal)?;
            if b.get(bucket).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
        }
        let t = txn.open_table(OBJECTS).map_err(internal)?;
        let mut start = start;
        'seek: loop {
            for item in t.range((bucket, start.as_slice())..).map_err(internal)? {
                let (k, v) = item.map_err(internal)?;
                let (b, key) = k.value();
                if b != bucket {
                    return Ok(());
                }
                match f(key, v.value())? {
                    Step::Next => {}
                    Step::Stop => return Ok(()),
                    Step::SeekTo(next) => {
                        if next.as_slice() <= key {
                            return Err(internal("scan seek did not move forward"));
                        }
                        start = next;
                        continue 'seek;
                    }
                }
            }
            return Ok(());
        }
    }

    // ---- multipart uploads ----

    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        meta: &UploadMeta,
    ) -> S3Result<()> {
        let value = enc(meta)?;
        let txn = self.write()?;
        {
            let buckets = txn.open_table(BUCKETS).map_err(internal)?;
            if buckets.get(bucket).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
            let mut t = txn.open_table(UPLOADS).map_err(internal)?;
            t.insert((bucket, key, id), value.as_slice())
                .map_err(internal)?;
        }
        txn.commit().map_err(internal)
    }

    pub fn get_upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<UploadMeta> {
        let txn = self.read()?;
        let t = txn.open_table(UPLOADS).map_err(internal)?;
        if let Some(v) = t.get((bucket, key, id)).map_err(internal)? {
            return dec(v.value());
        }
        let b = txn.open_table(BUCKETS).map_err(internal)?;
        if b.get(bucket).map_err(internal)?.is_none() {
            return Err(no_such_bucket());
        }
        Err(no_such_upload())
    }

    /// Records a part if its upload still exists. Returns the data file of a replaced part.
    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        number: u32,
        meta: &PartMeta,
    ) -> S3Result<Option<String>> {
        let value = enc(meta)?;
        let txn = self.write()?;
        let old = {
            let uploads = txn.open_table(UPLOADS).map_err(internal)?;
            if uploads.get((bucket, key, id)).map_err(internal)?.is_none() {
                return Err(no_such_upload());
            }
            let mut t = txn.open_table(PARTS).map_err(internal)?;
            let old = t.insert((id, number), value.as_slice()).map_err(internal)?;
            match old {
                Some(v) => Some(dec::<PartMeta>(v.value())?.segment.id),
                None => None,
            }
        };
        txn.commit().map_err(internal)?;
        Ok(old)
    }

    pub fn list_parts(&self, id: &str) -> S3Result<BTreeMap<u32, PartMeta>> {
        let txn = self.read()?;
        let t = txn.open_table(PARTS).map_err(internal)?;
        let mut out = BTreeMap::new();
        for item in t.range((id, 0u32)..).map_err(internal)? {
            let (k, v) = item.map_err(internal)?;
            let (u, n) = k.value();
            if u != id {
                break;
            }
            out.insert(n, dec(v.value())?);
        }
        Ok(out)
    }

    /// All unfinished uploads of a bucket: (key, upload id, meta) in (key, id) order.
    pub fn list_uploads(&self, bucket: &str) -> S3Result<Vec<(String, String, UploadMeta)>> {
        let txn = self.read()?;
        {
            let b = txn.open_table(BUCKETS).map_err(internal)?;
            if b.get(bucket).map_err(internal)?.is_none() {
                return Err(no_such_bucket());
            }
        }
        let t = txn.open_table(UPLOADS).map_err(internal)?;
        let mut out = Vec::new();
        for item in t.range((bucket, "", "")..).map_err(internal)? {
            let (k, v) = item.map_err(internal)?;
            let (b, key, id) = k.value();
            if b != bucket {
                break;
            }
            out.push((key.to_owned(), id.to_owned(), dec(v.value())?));
        }
        Ok(out)
    }

    /// Completes an upload in one transaction: `build` turns the upload and its parts into the
    /// object (or refuses), `check` sees the object being replaced. Returns the new object and
    /// the data files no longer referenced (unused parts, the replaced object).
    pub fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        build: impl FnOnce(&UploadMeta, &BTreeMap<u32, PartMeta>) -> S3Result<ObjectMeta>,
        check: impl FnOnce(Option<&ObjectMeta>) -> S3Result<()>,
    ) -> S3Result<(ObjectMeta, Vec<String>)> {
        let txn = self.write()?;
        let (obj, dead) = {
            let mut uploads = txn.open_table(UPLOADS).map_err(internal)?;
            let upload: UploadMeta = match uploads.get((bucket, key, id)).map_err(internal)? {
                Some(v) => dec(v.value())?,
                None => return Err(no_such_upload()),
            };
            let mut parts_t = txn.open_table(PARTS).map_err(internal)?;
            let mut parts = BTreeMap::new();
            for item in parts_t.range((id, 0u32)..).map_err(internal)? {
                let (k, v) = item.map_err(internal)?;
                let (u, n) = k.value();
                if u != id {
                    break;
                }
                parts.insert(n, dec::<PartMeta>(v.value())?);
            }
            let obj = build(&upload, &parts)?;
            let mut objects = txn.open_table(OBJECTS).map_err(internal)?;
            let old: Option<ObjectMeta> =
                match objects.get((bucket, key.as_bytes())).map_err(internal)? {
                    Some(v) => Some(dec(v.value())?),
                    None => None,
                };
            check(old.as_ref())?;
            objects
                .insert((bucket, key.as_bytes()), enc(&obj)?.as_slice())
                .map_err(internal)?;
            uploads.remove((bucket, key, id)).map_err(internal)?;
            remove_parts(&mut parts_t, id)?;
            let used: HashSet<&str> = obj.segments.iter().map(|s| s.id.as_str()).collect();
            let mut dead: Vec<String> = parts
                .values()
                .filter(|p| !used.contains(p.segment.id.as_str()))
                .map(|p| p.segment.id.clone())
                .collect();
            if let Some(old) = old {
                dead.extend(old.segments.into_iter().map(|s| s.id));
            }
            (obj, dead)
        };
        let committed = txn.commit().map_err(internal);
        self.cache.invalidate(bucket, key);
        committed?;
        Ok((obj, dead))
    }

    /// Removes an upload and its parts. Returns their data files.
    pub fn abort_upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<Vec<String>> {
        let txn = self.write()?;
        let dead = {
            let mut uploads = txn.open_table(UPLOADS).map_err(internal)?;
            if uploads
                .remove((bucket, key, id))
                .map_err(internal)?
                .is_none()
            {
                let b = txn.open_table(BUCKETS).map_err(internal)?;
                if b.get(bucket).map_err(internal)?.is_none() {
                    return Err(no_such_bucket());
                }
                return Err(no_such_upload());
            }
            let mut parts = txn.open_table(PARTS).map_err(internal)?;
            remove_parts(&mut parts, id)?
                .into_iter()
                .map(|p| p.segment.id)
                .collect()
        };
        txn.commit().map_err(internal)?;
        Ok(dead)
    }

    /// Every data-file id the index refers to (objects and parts), for the sweep at open.
    pub fn live_ids(&self) -> S3Result<HashSet<String>> {
        let txn = self.read()?;
        let mut live = HashSet::new();
        let objects = txn.open_table(OBJECTS).map_err(internal)?;
        for item in objects.iter().map_err(internal)? {
            let (_, v) = item.map_err(internal)?;
            let m: ObjectMeta = dec(v.value())?;
            live.extend(m.segments.into_iter().map(|s| s.id));
        }
        let parts = txn.open_table(PARTS).map_err(internal)?;
        for item in parts.iter().map_err(internal)? {
            let (_, v) = item.map_err(internal)?;
            let p: PartMeta = dec(v.value())?;
            live.insert(p.segment.id);
        }
        Ok(live)
    }
}

fn remove_parts(parts: &mut redb::Table<(&str, u32), &[u8]>, id: &str) -> S3Result<Vec<PartMeta>> {
    let mut numbers = Vec::new();
    for item in parts.range((id, 0u32)..).map_err(internal)? {
        let (k, v) = item.map_err(internal)?;
        let (u, n) = k.value();
        if u != id {
            break;
        }
        numbers.push((n, dec::<PartMeta>(v.value())?));
    }
    for (n, _) in &numbers {
        parts.remove((id, *n)).map_err(internal)?;
    }
    Ok(numbers.into_iter().map(|(_, p)| p).collect())
}
