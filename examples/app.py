"""The application of examples/docker-compose.yml: a DynamoDB table and a Redis cache, both
found through the AWS API at AWS_ENDPOINT_URL, as in AWS."""

import time

import boto3
import redis

ddb = boto3.client("dynamodb")
if "orders" not in ddb.list_tables()["TableNames"]:
    ddb.create_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
ddb.put_item(TableName="orders", Item={"id": {"S": "1"}, "total": {"N": "42"}})
print("order:", ddb.get_item(TableName="orders", Key={"id": {"S": "1"}})["Item"])

ec = boto3.client("elasticache")
if not ec.describe_cache_clusters()["CacheClusters"]:
    ec.create_cache_cluster(
        CacheClusterId="sessions",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheNodes=1,
    )
while True:
    c = ec.describe_cache_clusters(CacheClusterId="sessions", ShowCacheNodeInfo=True)
    c = c["CacheClusters"][0]
    if c["CacheClusterStatus"] == "available":
        break
    time.sleep(0.2)
ep = c["CacheNodes"][0]["Endpoint"]
print("cache node:", ep)  # {'Address': 'awsemu', 'Port': 4510}
r = redis.Redis(host=ep["Address"], port=ep["Port"])
r.set("greeting", "hello")
print("greeting:", r.get("greeting"))
