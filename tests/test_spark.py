"""Spark reads the published Parquet files (slow tier): PySpark in local mode reads every file
datapackage.json lists, with the types its Table Schema promises (dates are dates, integers longs,
text strings), every row and every missing value where pyarrow sees them."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.fail("the Spark test needs PySpark and Java 17: pip install -e '.[spark]' (.ci/run installs both)")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("karabakh-data-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_reads_every_parquet_file_with_its_schema_types(spark, real_repo):
    from pyspark.sql import functions
    from pyspark.sql import types as spark_types

    expected = {
        "string": spark_types.StringType,
        "integer": spark_types.LongType,
        "number": spark_types.DoubleType,
        "boolean": spark_types.BooleanType,
        "date": spark_types.DateType,
    }
    desc = json.loads(real_repo.descriptor_path.read_text())
    for resource in desc["resources"]:
        path = real_repo.root / resource["x-parquet"]["path"]
        frame = spark.read.parquet(str(path))
        fields = resource["schema"]["fields"]
        assert frame.columns == [f["name"] for f in fields], resource["name"]
        for f in fields:
            assert isinstance(frame.schema[f["name"]].dataType, expected[f["type"]]), (resource["name"], f["name"])
        present = frame.select([functions.count(functions.col(f["name"])).alias(f["name"]) for f in fields]).first()
        arrow = pq.read_table(path)
        assert frame.count() == resource["x-rows"] == arrow.num_rows, resource["name"]
        for f in fields:
            column = arrow.column(f["name"])
            assert present[f["name"]] == len(column) - column.null_count, (resource["name"], f["name"])
