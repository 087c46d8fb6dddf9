# Fills 96 MiB of memory with non-zero data (a file on tmpfs), then idles.
mount -t tmpfs -o size=100m fill /tmp
yes 0123456789abcdef | head -c 100663296 > /tmp/fill
echo "guest: filled"
while true; do sleep 1; done
