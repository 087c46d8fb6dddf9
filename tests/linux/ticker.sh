# Says whether it has SVE, then counts seconds until the VM is stopped.
sve-probe
i=0
while true; do
	i=$((i + 1))
	echo "guest: tick=$i"
	sleep 1
done
